import { useId, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { errorText, type Product } from '../api';
import { useCart } from '../cart';
import { priceBound, readCatalogParams, searchCatalog, SORTS, toQuery, writeCatalogParams, type CatalogParams } from '../catalog';
import { ProductImage } from '../components/ProductImage';
import { useToast } from '../components/Toasts';
import { EmptyState, ErrorMessage, Loading, Money, Pagination } from '../components/ui';
import { useLoader, useShopConfig, useTitle } from '../hooks';
import { currencyDigits, MoneyParseError } from '../money';

export const PRODUCTS_PAGE_SIZE = 12;

export function stockText(stock: number): string {
  if (stock <= 0) return 'Out of stock';
  if (stock <= 3) return `Only ${stock} left`;
  return `${stock} in stock`;
}

export function ProductsPage() {
  const [params, setParams] = useSearchParams();
  const state = readCatalogParams(params);
  const config = useShopConfig();
  const currency = config?.currency ?? 'EUR';
  const digits = currencyDigits(currency);
  const limit = PRODUCTS_PAGE_SIZE;
  const query = toQuery(state, digits, limit);
  const key = JSON.stringify(query);
  const { data, error, loading } = useLoader((signal) => searchCatalog(query, signal), [key]);
  const searching = !!state.q;
  useTitle(searching ? `Results for “${state.q}”` : 'Products');

  const update = (next: Partial<CatalogParams>) => setParams(writeCatalogParams({ ...state, page: 1, ...next }));
  const filtered = !!(state.minPrice || state.maxPrice);
  const total = data?.page.total ?? 0;

  return (
    <section>
      <div className="page-head">
        <h1>{searching ? <>Results for “{state.q}”</> : 'Products'}</h1>
        {data && (
          <p className="muted" role="status" data-testid="result-count">
            {total} {searching || filtered ? (total === 1 ? 'result' : 'results') : total === 1 ? 'product' : 'products'}
          </p>
        )}
      </div>
      <div className="catalog-tools">
        <SortSelect value={state.sort} withRelevance={searching} onChange={(sort) => update({ sort })} />
        <PriceFilter key={`${state.minPrice}|${state.maxPrice}`} state={state} digits={digits} currency={currency} onApply={update} />
        {(searching || filtered) && (
          <Link to="/" className="btn btn-link">
            Clear search
          </Link>
        )}
      </div>
      <ErrorMessage>{error}</ErrorMessage>
      {loading && !data && <Loading label="Loading products…" />}
      {data && data.page.items.length === 0 && (
        <EmptyState title={searching || filtered ? 'No products match your search.' : 'No products yet.'}>
          {(searching || filtered) && (
            <Link to="/" className="btn btn-secondary">
              See all products
            </Link>
          )}
        </EmptyState>
      )}
      {data && data.page.items.length > 0 && (
        <ul className="product-grid" aria-label={searching ? 'Search results' : 'Products'}>
          {data.page.items.map((p) => (
            <ProductCard key={String(p.id)} product={p} />
          ))}
        </ul>
      )}
      {data && (
        <Pagination
          total={data.page.total}
          limit={limit}
          offset={query.offset}
          label="Product pages"
          onChange={(offset) => setParams(writeCatalogParams({ ...state, page: Math.floor(offset / limit) + 1 }))}
        />
      )}
    </section>
  );
}

function SortSelect({
  value,
  withRelevance,
  onChange,
}: {
  value: CatalogParams['sort'];
  withRelevance: boolean;
  onChange: (sort: CatalogParams['sort']) => void;
}) {
  const id = useId();
  const options = SORTS.filter((s) => withRelevance || s.value !== 'relevance');
  return (
    <div className="tool">
      <label htmlFor={id}>Sort by</label>
      <select id={id} value={withRelevance || value !== 'relevance' ? value : 'newest'} onChange={(e) => onChange(e.target.value as CatalogParams['sort'])}>
        {options.map((s) => (
          <option key={s.value} value={s.value}>
            {s.label}
          </option>
        ))}
      </select>
    </div>
  );
}

function PriceFilter({
  state,
  digits,
  currency,
  onApply,
}: {
  state: CatalogParams;
  digits: number;
  currency: string;
  onApply: (next: Partial<CatalogParams>) => void;
}) {
  const [min, setMin] = useState(state.minPrice);
  const [max, setMax] = useState(state.maxPrice);
  const [error, setError] = useState<string | null>(null);
  const id = useId();

  function apply(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      const lo = priceBound(min, digits);
      const hi = priceBound(max, digits);
      if (lo !== null && hi !== null && lo > hi) {
        setError('The lowest price is above the highest.');
        return;
      }
      onApply({ minPrice: min.trim(), maxPrice: max.trim() });
    } catch (err) {
      setError(err instanceof MoneyParseError ? err.message : errorText(err));
    }
  }

  return (
    <form className="tool price-filter" onSubmit={apply} aria-label="Price filter" noValidate>
      <span className="tool-label" id={`${id}-legend`}>
        Price ({currency})
      </span>
      <label htmlFor={`${id}-min`} className="sr-only">
        Lowest price ({currency})
      </label>
      <input
        id={`${id}-min`}
        className="price-input"
        inputMode="decimal"
        placeholder="Min"
        value={min}
        onChange={(e) => setMin(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
      />
      <span aria-hidden="true">–</span>
      <label htmlFor={`${id}-max`} className="sr-only">
        Highest price ({currency})
      </label>
      <input
        id={`${id}-max`}
        className="price-input"
        inputMode="decimal"
        placeholder="Max"
        value={max}
        onChange={(e) => setMax(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
      />
      <button type="submit" className="btn btn-secondary btn-small">
        Apply
      </button>
      {error && (
        <p id={`${id}-error`} className="field-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

export function ProductCard({ product }: { product: Product }) {
  const { add } = useCart();
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  const soldOut = product.stock <= 0;
  const href = `/products/${encodeURIComponent(String(product.id))}`;

  async function addOne() {
    setBusy(true);
    try {
      if (await add(product, 1)) toast.show(`Added 1 × ${product.name} to your cart.`);
    } catch (err) {
      toast.show(`Could not add ${product.name}: ${errorText(err)}`, 'error');
    } finally {
      setBusy(false);
    }
  }

  return (
    <li className="card product-card" data-testid="product-card" data-product-id={String(product.id)}>
      <Link to={href} className="product-media" tabIndex={-1} aria-hidden="true">
        <ProductImage product={product} />
      </Link>
      <div className="product-body">
        <h2 className="product-name">
          <Link to={href}>{product.name}</Link>
        </h2>
        {product.description && <p className="product-desc">{product.description}</p>}
        <p className="product-price" data-testid="product-price">
          <Money amount={product.price} currency={product.currency} />
        </p>
        <p className={soldOut ? 'stock stock-out' : 'stock'} data-testid="product-stock">
          {stockText(product.stock)}
        </p>
        <div className="product-actions">
          <button
            type="button"
            className="btn btn-primary btn-small"
            disabled={busy || soldOut}
            onClick={addOne}
            aria-label={`Add to cart: ${product.name}`}
          >
            {busy ? 'Adding…' : 'Add to cart'}
          </button>
        </div>
      </div>
    </li>
  );
}
