import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router-dom';
import { api, ApiError, errorText, type Product, type ProductInput } from '../api';
import { EmptyState, ErrorMessage, intParam, Loading, Money, Notice, Pagination } from '../components/ui';
import { useLoader, useTitle } from '../hooks';
import { currencyDigits, minorToDecimalString, MoneyParseError, parseMinorUnits } from '../money';

export const ADMIN_PAGE_SIZE = 20;
export const CONFLICT_MESSAGE = 'Someone else changed this product, reload.';

interface FormState {
  name: string;
  description: string;
  price: string;
  stock: string;
  currency: string;
}

const EMPTY: FormState = { name: '', description: '', price: '', stock: '0', currency: 'EUR' };

function toForm(p: Product): FormState {
  return {
    name: p.name,
    description: p.description ?? '',
    price: minorToDecimalString(p.price, currencyDigits(p.currency)),
    stock: String(p.stock),
    currency: p.currency,
  };
}

function fromForm(f: FormState): ProductInput {
  const name = f.name.trim();
  if (!name) throw new MoneyParseError('Enter a product name');
  const currency = f.currency.trim().toUpperCase() || 'EUR';
  if (!/^[A-Z]{3}$/.test(currency)) throw new MoneyParseError('Currency must be a 3-letter ISO code such as EUR');
  const price = parseMinorUnits(f.price, currencyDigits(currency));
  const stockText = f.stock.trim();
  if (!/^\d+$/.test(stockText)) throw new MoneyParseError('Stock must be a whole number (0 or more)');
  const stock = Number(stockText);
  return { name, description: f.description.trim(), price, stock, currency };
}

function describe(err: unknown): string {
  if (err instanceof ApiError && err.isConflict) return CONFLICT_MESSAGE;
  return errorText(err);
}

export function AdminProductsPage() {
  useTitle('Manage products');
  const [params, setParams] = useSearchParams();
  const offset = intParam(params.get('offset'));
  const limit = ADMIN_PAGE_SIZE;
  const list = useLoader((signal) => api.listProducts({ limit, offset }, signal), [offset]);
  const config = useLoader((signal) => api.config(signal).catch(() => null), []);

  const [editing, setEditing] = useState<Product | null>(null);
  const [form, setForm] = useState<FormState>(EMPTY);
  const [formError, setFormError] = useState<string | null>(null);
  const [conflict, setConflict] = useState(false);
  const [saving, setSaving] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const [rowBusy, setRowBusy] = useState<string | null>(null);

  const defaultCurrency = config.data?.currency || 'EUR';
  const touched = useRef(false);

  // The shop's currency (GET /config) is the default for new products.
  useEffect(() => {
    if (!editing && !touched.current) setForm((f) => ({ ...f, currency: defaultCurrency }));
  }, [defaultCurrency, editing]);

  function startCreate() {
    touched.current = false;
    setEditing(null);
    setForm({ ...EMPTY, currency: defaultCurrency });
    setFormError(null);
    setConflict(false);
  }

  async function startEdit(p: Product) {
    setMessage(null);
    setFormError(null);
    setConflict(false);
    setRowBusy(String(p.id));
    try {
      // Fresh copy: its version is what If-Match will carry.
      const { product } = await api.getProduct(p.id);
      setEditing(product);
      setForm(toForm(product));
    } catch (err) {
      setListError(describe(err));
    } finally {
      setRowBusy(null);
    }
  }

  async function reloadEditing() {
    if (!editing) return;
    setFormError(null);
    setConflict(false);
    try {
      const { product } = await api.getProduct(editing.id);
      setEditing(product);
      setForm(toForm(product));
      setMessage('Reloaded the latest version of the product.');
    } catch (err) {
      setFormError(describe(err));
    }
    void list.reload();
  }

  async function save(e: FormEvent) {
    e.preventDefault();
    setFormError(null);
    setConflict(false);
    setMessage(null);
    let body: ProductInput;
    try {
      body = fromForm(form);
    } catch (err) {
      setFormError(errorText(err));
      return;
    }
    setSaving(true);
    try {
      if (editing) {
        const updated = await api.updateProduct(editing.id, body, editing.version);
        setMessage(`Saved “${updated?.name ?? body.name}”.`);
      } else {
        const created = await api.createProduct(body);
        setMessage(`Created “${created?.name ?? body.name}”.`);
      }
      setEditing(null);
      setForm({ ...EMPTY, currency: body.currency ?? defaultCurrency });
      await list.reload();
    } catch (err) {
      if (err instanceof ApiError && err.isConflict) setConflict(true);
      setFormError(describe(err));
    } finally {
      setSaving(false);
    }
  }

  async function remove(p: Product) {
    setMessage(null);
    setListError(null);
    setRowBusy(String(p.id));
    try {
      await api.deleteProduct(p.id, p.version);
      if (editing && String(editing.id) === String(p.id)) startCreate();
      setMessage(`Deleted “${p.name}”.`);
      await list.reload();
    } catch (err) {
      setListError(describe(err));
    } finally {
      setRowBusy(null);
    }
  }

  const field = (key: keyof FormState) => ({
    value: form[key],
    onChange: (e: { target: { value: string } }) => {
      touched.current = true;
      setForm((f) => ({ ...f, [key]: e.target.value }));
    },
  });

  return (
    <section>
      <div className="page-head">
        <h1>Manage products</h1>
      </div>
      <Notice tone="success">{message}</Notice>
      <div className="admin-grid">
        <section className="card form-card" aria-labelledby="product-form-title">
          <h2 id="product-form-title">{editing ? `Edit “${editing.name}”` : 'New product'}</h2>
          <form onSubmit={save} noValidate>
            <div className="field">
              <label htmlFor="product-name">Name</label>
              <input id="product-name" required autoComplete="off" {...field('name')} />
            </div>
            <div className="field">
              <label htmlFor="product-description">Description</label>
              <textarea id="product-description" rows={3} {...field('description')} />
            </div>
            <div className="field-row">
              <div className="field">
                <label htmlFor="product-price">Price</label>
                <input id="product-price" inputMode="decimal" autoComplete="off" placeholder="19.99" required {...field('price')} />
              </div>
              <div className="field">
                <label htmlFor="product-currency">Currency</label>
                <input id="product-currency" maxLength={3} autoComplete="off" {...field('currency')} />
              </div>
              <div className="field">
                <label htmlFor="product-stock">Stock</label>
                <input id="product-stock" type="number" min={0} step={1} inputMode="numeric" {...field('stock')} />
              </div>
            </div>
            <ErrorMessage>{formError}</ErrorMessage>
            {conflict && (
              <button type="button" className="btn btn-secondary" onClick={reloadEditing}>
                Reload product
              </button>
            )}
            <div className="button-row">
              <button type="submit" className="btn btn-primary" disabled={saving}>
                {saving ? 'Saving…' : editing ? 'Save changes' : 'Create product'}
              </button>
              {editing && (
                <button type="button" className="btn btn-link" onClick={startCreate}>
                  Cancel editing
                </button>
              )}
            </div>
          </form>
        </section>

        <section className="card table-card" aria-labelledby="catalog-title">
          <h2 id="catalog-title">Catalog</h2>
          <ErrorMessage>{listError}</ErrorMessage>
          {listError === CONFLICT_MESSAGE && (
            <button type="button" className="btn btn-secondary" onClick={() => { setListError(null); void list.reload(); }}>
              Reload list
            </button>
          )}
          <ErrorMessage>{list.error}</ErrorMessage>
          {list.loading && !list.data && <Loading label="Loading products…" />}
          {list.data && list.data.items.length === 0 && <EmptyState title="No products yet. Create the first one." />}
          {list.data && list.data.items.length > 0 && (
            <div className="table-scroll">
              <table className="table">
                <caption className="sr-only">Products</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col" className="num">Price</th>
                    <th scope="col" className="num">Stock</th>
                    <th scope="col" className="num">Version</th>
                    <th scope="col"><span className="sr-only">Actions</span></th>
                  </tr>
                </thead>
                <tbody>
                  {list.data.items.map((p) => (
                    <tr key={String(p.id)} data-testid="admin-product-row" data-product-id={String(p.id)}>
                      <th scope="row">{p.name}</th>
                      <td className="num" data-label="Price">
                        <Money amount={p.price} currency={p.currency} />
                      </td>
                      <td className="num" data-label="Stock">{p.stock}</td>
                      <td className="num" data-label="Version">{p.version}</td>
                      <td className="actions">
                        <button
                          type="button"
                          className="btn btn-link"
                          aria-label={`Edit ${p.name}`}
                          disabled={rowBusy === String(p.id)}
                          onClick={() => startEdit(p)}
                        >
                          Edit
                        </button>
                        <button
                          type="button"
                          className="btn btn-link danger"
                          aria-label={`Delete ${p.name}`}
                          disabled={rowBusy === String(p.id)}
                          onClick={() => remove(p)}
                        >
                          Delete
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {list.data && (
            <Pagination
              total={list.data.total}
              limit={limit}
              offset={offset}
              label="Product pages"
              onChange={(o) => setParams(o ? { offset: String(o) } : {})}
            />
          )}
        </section>
      </div>
    </section>
  );
}
