import { useId, useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router-dom';
import { api, errorText, type Product } from '../api';
import { useAuth } from '../auth';
import { EmptyState, ErrorMessage, intParam, Loading, Money, Pagination } from '../components/ui';
import { useLoader, useTitle } from '../hooks';

export const PRODUCTS_PAGE_SIZE = 12;

export function ProductsPage() {
  useTitle('Products');
  const [params, setParams] = useSearchParams();
  const offset = intParam(params.get('offset'));
  const limit = PRODUCTS_PAGE_SIZE;
  const { data, error, loading } = useLoader((signal) => api.listProducts({ limit, offset }, signal), [offset]);

  return (
    <section>
      <div className="page-head">
        <h1>Products</h1>
        {data && <p className="muted">{data.total} products</p>}
      </div>
      <ErrorMessage>{error}</ErrorMessage>
      {loading && !data && <Loading label="Loading products…" />}
      {data && data.items.length === 0 && <EmptyState title="No products yet." />}
      {data && data.items.length > 0 && (
        <ul className="product-grid" aria-label="Products">
          {data.items.map((p) => (
            <ProductCard key={String(p.id)} product={p} />
          ))}
        </ul>
      )}
      {data && (
        <Pagination
          total={data.total}
          limit={limit}
          offset={offset}
          label="Product pages"
          onChange={(next) => setParams(next ? { offset: String(next) } : {})}
        />
      )}
    </section>
  );
}

function ProductCard({ product }: { product: Product }) {
  const { user } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const qtyId = useId();
  const [quantity, setQuantity] = useState('1');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const soldOut = product.stock <= 0;

  async function add(e: FormEvent) {
    e.preventDefault();
    setMessage(null);
    setError(null);
    if (!user) {
      navigate('/login', { state: { from: location.pathname + location.search } });
      return;
    }
    const qty = Number(quantity);
    if (!Number.isInteger(qty) || qty < 1) {
      setError('Quantity must be a whole number of at least 1.');
      return;
    }
    if (qty > product.stock) {
      setError(`Only ${product.stock} in stock.`);
      return;
    }
    setBusy(true);
    try {
      await api.addToCart(product.id, qty);
      setMessage(`Added ${qty} × ${product.name} to your cart.`);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <li className="card product-card" data-testid="product-card" data-product-id={String(product.id)}>
      <div className="product-art" aria-hidden="true">
        {product.name.trim().charAt(0).toUpperCase() || '?'}
      </div>
      <div className="product-body">
        <h2 className="product-name">{product.name}</h2>
        {product.description && <p className="product-desc">{product.description}</p>}
        <p className="product-price" data-testid="product-price">
          <Money amount={product.price} currency={product.currency} />
        </p>
        <p className={soldOut ? 'stock stock-out' : 'stock'} data-testid="product-stock">
          {soldOut ? 'Out of stock' : `${product.stock} in stock`}
        </p>
        <div className="product-actions">
          {message && (
            <p className="alert alert-success" role="status">
              {message} <Link to="/cart">View cart</Link>
            </p>
          )}
          <ErrorMessage>{error}</ErrorMessage>
          <form className="add-form" onSubmit={add}>
            <div className="field field-inline">
              <label htmlFor={qtyId}>Quantity</label>
              <input
                id={qtyId}
                type="number"
                inputMode="numeric"
                min={1}
                max={Math.max(1, product.stock)}
                step={1}
                value={quantity}
                disabled={soldOut}
                onChange={(e) => setQuantity(e.target.value)}
              />
            </div>
            <button type="submit" className="btn btn-primary" disabled={busy || soldOut}>
              {busy ? 'Adding…' : 'Add to cart'}
            </button>
          </form>
        </div>
      </div>
    </li>
  );
}
