import { useEffect, useId, useRef, useState, type ChangeEvent, type FormEvent } from 'react';
import { useSearchParams } from 'react-router-dom';
import { api, ApiError, errorText, type Product, type ProductInput } from '../api';
import { readCatalogParams, searchCatalog, SORTS, toQuery, writeCatalogParams, type CatalogParams } from '../catalog';
import { useConfirm } from '../components/Dialog';
import { Field } from '../components/Field';
import { ProductImage } from '../components/ProductImage';
import { useToast } from '../components/Toasts';
import { EmptyState, ErrorMessage, Loading, Money, Pagination } from '../components/ui';
import { formErrors, type FieldErrors } from '../fieldErrors';
import { useLoader, useShopConfig, useTitle } from '../hooks';
import { currencyDigits, formatMoney, minorToDecimalString, MoneyParseError, parseMinorUnits } from '../money';

export const ADMIN_PAGE_SIZE = 20;
export const CONFLICT_MESSAGE = 'Someone else changed this product in the meantime. Reload it to see their change.';
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;

interface FormState {
  name: string;
  description: string;
  price: string;
  stock: string;
  currency: string;
}

const EMPTY: FormState = { name: '', description: '', price: '', stock: '0', currency: 'EUR' };
const LABELS = { name: 'Name', description: 'Description', price: 'Price', stock: 'Stock', currency: 'Currency' };

function toForm(p: Product): FormState {
  return {
    name: p.name,
    description: p.description ?? '',
    price: minorToDecimalString(p.price, currencyDigits(p.currency)),
    stock: String(p.stock),
    currency: p.currency,
  };
}

/** The form as the API wants it, or the problems per field. */
export function readForm(f: FormState): { body: ProductInput } | { errors: FieldErrors } {
  const errors: FieldErrors = {};
  const name = f.name.trim();
  if (!name) errors.name = 'Enter a product name.';
  const currency = f.currency.trim().toUpperCase() || 'EUR';
  if (!/^[A-Z]{3}$/.test(currency)) errors.currency = 'Use a 3-letter currency code such as EUR.';
  let price = 0;
  try {
    price = parseMinorUnits(f.price, currencyDigits(/^[A-Z]{3}$/.test(currency) ? currency : 'EUR'));
  } catch (err) {
    errors.price = err instanceof MoneyParseError ? `${err.message}.`.replace(/\.\.$/, '.') : errorText(err);
  }
  const stockText = f.stock.trim();
  if (!/^\d+$/.test(stockText)) errors.stock = 'Stock must be a whole number, 0 or more.';
  if (Object.keys(errors).length) return { errors };
  return { body: { name, description: f.description.trim(), price, stock: Number(stockText), currency } };
}

export function imageProblem(file: File): string | null {
  if (!IMAGE_TYPES.includes(file.type)) return 'Choose a JPEG, PNG or WebP picture.';
  if (file.size > MAX_IMAGE_BYTES) return 'The picture is larger than 5 MB. Choose a smaller one.';
  return null;
}

export function AdminProductsPage() {
  useTitle('Manage products');
  const [params, setParams] = useSearchParams();
  const state = readCatalogParams(params);
  const config = useShopConfig();
  const limit = ADMIN_PAGE_SIZE;
  const query = toQuery(state, currencyDigits(config?.currency ?? 'EUR'), limit);
  const key = JSON.stringify(query);
  const list = useLoader((signal) => searchCatalog(query, signal), [key]);
  const toast = useToast();
  const [confirm, dialog] = useConfirm();

  const [editing, setEditing] = useState<Product | null>(null);
  const [form, setForm] = useState<FormState>(EMPTY);
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [conflict, setConflict] = useState(false);
  const [saving, setSaving] = useState(false);
  const [listError, setListError] = useState<string | null>(null);
  const [rowBusy, setRowBusy] = useState<string | null>(null);
  const formRef = useRef<HTMLElement>(null);

  const defaultCurrency = config?.currency || 'EUR';
  const touched = useRef(false);

  // The shop's currency (GET /config) is the default for new products.
  useEffect(() => {
    if (!editing && !touched.current) setForm((f) => ({ ...f, currency: defaultCurrency }));
  }, [defaultCurrency, editing]);

  function resetForm(currency = defaultCurrency) {
    touched.current = false;
    setEditing(null);
    setForm({ ...EMPTY, currency });
    setFieldErrors({});
    setFormError(null);
    setConflict(false);
  }

  async function startEdit(p: Product) {
    setFieldErrors({});
    setFormError(null);
    setConflict(false);
    setRowBusy(String(p.id));
    try {
      // Fresh copy: its version is what If-Match will carry.
      const { product } = await api.getProduct(p.id);
      setEditing(product);
      setForm(toForm(product));
      formRef.current?.scrollIntoView({ block: 'start', behavior: 'smooth' });
      formRef.current?.querySelector<HTMLElement>('input')?.focus({ preventScroll: true });
    } catch (err) {
      setListError(errorText(err));
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
      toast.show('Reloaded the latest version of the product.', 'info');
    } catch (err) {
      setFormError(errorText(err));
    }
    void list.reload();
  }

  async function save(e: FormEvent) {
    e.preventDefault();
    setFormError(null);
    setConflict(false);
    const read = readForm(form);
    if ('errors' in read) {
      setFieldErrors(read.errors);
      formRef.current?.querySelector<HTMLElement>(`[name="${Object.keys(read.errors)[0]}"]`)?.focus();
      return;
    }
    setFieldErrors({});
    const body = read.body;
    if (body.price === 0) {
      const ok = await confirm({
        title: 'Sell this product for free?',
        body: (
          <p>
            The price of “{body.name}” is {formatMoney(0, body.currency ?? defaultCurrency)}: shoppers can order it without paying.
          </p>
        ),
        confirmLabel: 'Yes, it is free',
        cancelLabel: 'Change the price',
      });
      if (!ok) {
        formRef.current?.querySelector<HTMLElement>('[name="price"]')?.focus();
        return;
      }
    }
    setSaving(true);
    try {
      if (editing) {
        const updated = await api.updateProduct(editing.id, body, editing.version);
        toast.show(`Saved “${updated?.name ?? body.name}”.`);
      } else {
        const created = await api.createProduct(body);
        toast.show(`Created “${created?.name ?? body.name}”.`);
      }
      resetForm(body.currency ?? defaultCurrency);
      await list.reload();
    } catch (err) {
      if (err instanceof ApiError && err.isConflict) {
        setConflict(true);
        setFormError(CONFLICT_MESSAGE);
      } else {
        const found = formErrors(err, LABELS);
        setFieldErrors(found.fields);
        setFormError(found.form);
      }
    } finally {
      setSaving(false);
    }
  }

  async function remove(p: Product) {
    const ok = await confirm({
      title: `Delete “${p.name}”?`,
      body: <p>It disappears from the shop at once. Orders already placed keep it. This cannot be undone.</p>,
      confirmLabel: 'Delete product',
      danger: true,
    });
    if (!ok) return;
    setListError(null);
    setRowBusy(String(p.id));
    try {
      await api.deleteProduct(p.id, p.version);
      if (editing && String(editing.id) === String(p.id)) resetForm();
      toast.show(`Deleted “${p.name}”.`);
      await list.reload();
    } catch (err) {
      setListError(err instanceof ApiError && err.isConflict ? CONFLICT_MESSAGE : errorText(err));
    } finally {
      setRowBusy(null);
    }
  }

  const field = (key: keyof FormState) => ({
    name: key,
    value: form[key],
    onChange: (e: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => {
      touched.current = true;
      setForm((f) => ({ ...f, [key]: e.target.value }));
    },
  });
  const updateSearch = (next: Partial<CatalogParams>) => setParams(writeCatalogParams({ ...state, page: 1, ...next }));

  return (
    <section>
      <div className="page-head">
        <h1>Manage products</h1>
      </div>
      <div className="admin-grid">
        <section ref={formRef} className="card form-card" aria-labelledby="product-form-title">
          <h2 id="product-form-title" className="wrap">
            {editing ? `Edit “${editing.name}”` : 'New product'}
          </h2>
          <form onSubmit={save} noValidate>
            <Field label="Name" error={fieldErrors.name}>
              <input id="product-name" autoComplete="off" maxLength={200} {...field('name')} />
            </Field>
            <Field label="Description" error={fieldErrors.description}>
              <textarea id="product-description" rows={4} maxLength={5000} {...field('description')} />
            </Field>
            <div className="field-row">
              <Field label="Price" error={fieldErrors.price}>
                <input id="product-price" inputMode="decimal" autoComplete="off" placeholder="19.99" {...field('price')} />
              </Field>
              <Field label="Currency" error={fieldErrors.currency}>
                <input id="product-currency" maxLength={3} autoComplete="off" {...field('currency')} />
              </Field>
              <Field label="Stock" error={fieldErrors.stock}>
                <input id="product-stock" inputMode="numeric" autoComplete="off" {...field('stock')} />
              </Field>
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
                <button type="button" className="btn btn-link" onClick={() => resetForm()}>
                  Cancel editing
                </button>
              )}
            </div>
          </form>
          {editing && (
            <ImageManager
              product={editing}
              onChange={(p) => {
                setEditing(p);
                void list.reload();
              }}
              confirm={confirm}
            />
          )}
          {!editing && <p className="hint">Save the product first, then add its pictures.</p>}
        </section>

        <section className="card table-card" aria-labelledby="catalog-title">
          <h2 id="catalog-title">Catalog</h2>
          <AdminCatalogSearch key={`${state.q}|${state.sort}`} state={state} onChange={updateSearch} />
          <ErrorMessage>{listError}</ErrorMessage>
          {listError === CONFLICT_MESSAGE && (
            <button
              type="button"
              className="btn btn-secondary"
              onClick={() => {
                setListError(null);
                void list.reload();
              }}
            >
              Reload list
            </button>
          )}
          <ErrorMessage>{list.error}</ErrorMessage>
          {list.loading && !list.data && <Loading label="Loading products…" />}
          {list.data && list.data.page.items.length === 0 && (
            <EmptyState title={state.q ? 'No products match.' : 'No products yet. Create the first one.'} />
          )}
          {list.data && list.data.page.items.length > 0 && (
            <div className="table-scroll">
              <table className="table">
                <caption className="sr-only">Products</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col" className="num">
                      Price
                    </th>
                    <th scope="col" className="num">
                      Stock
                    </th>
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {list.data.page.items.map((p) => (
                    <tr key={String(p.id)} data-testid="admin-product-row" data-product-id={String(p.id)}>
                      <th scope="row" className="wrap">
                        <span className="admin-product-name">
                          <ProductImage product={p} />
                          <span>{p.name}</span>
                        </span>
                      </th>
                      <td className="num" data-label="Price">
                        <Money amount={p.price} currency={p.currency} />
                      </td>
                      <td className="num" data-label="Stock" data-testid="admin-product-stock">
                        {p.stock}
                      </td>
                      <td className="actions">
                        <button
                          type="button"
                          className="btn btn-link"
                          disabled={rowBusy === String(p.id)}
                          onClick={() => startEdit(p)}
                          aria-label={`Edit ${p.name}`}
                        >
                          Edit
                        </button>
                        <button
                          type="button"
                          className="btn btn-link danger"
                          disabled={rowBusy === String(p.id)}
                          onClick={() => remove(p)}
                          aria-label={`Delete ${p.name}`}
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
              total={list.data.page.total}
              limit={limit}
              offset={query.offset}
              label="Product pages"
              onChange={(o) => setParams(writeCatalogParams({ ...state, page: Math.floor(o / limit) + 1 }))}
            />
          )}
        </section>
      </div>
      {dialog}
    </section>
  );
}

function AdminCatalogSearch({ state, onChange }: { state: CatalogParams; onChange: (next: Partial<CatalogParams>) => void }) {
  const id = useId();
  const [q, setQ] = useState(state.q);
  return (
    <form
      className="filters admin-search"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        onChange({ q: q.trim(), sort: q.trim() ? state.sort : state.sort === 'relevance' ? 'newest' : state.sort });
      }}
    >
      <div className="filter filter-wide">
        <label htmlFor={`${id}-q`}>Find</label>
        <input id={`${id}-q`} type="search" value={q} placeholder="Name or description" onChange={(e) => setQ(e.target.value)} />
      </div>
      <div className="filter">
        <label htmlFor={`${id}-sort`}>Sort</label>
        <select id={`${id}-sort`} value={state.sort} onChange={(e) => onChange({ q: q.trim(), sort: e.target.value as CatalogParams['sort'] })}>
          {SORTS.filter((s) => state.q || s.value !== 'relevance').map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </div>
      <div className="filter filter-actions">
        <button type="submit" className="btn btn-secondary">
          Find
        </button>
      </div>
    </form>
  );
}

function ImageManager({
  product,
  onChange,
  confirm,
}: {
  product: Product;
  onChange: (p: Product) => void;
  confirm: ReturnType<typeof useConfirm>[0];
}) {
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const id = useId();
  const images = product.images ?? [];

  async function upload(e: ChangeEvent<HTMLInputElement>) {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    const problem = imageProblem(file);
    setError(problem);
    if (problem) return;
    setBusy(true);
    try {
      onChange(await api.uploadProductImage(product.id, file));
      toast.show(`Added the picture ${file.name}.`);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  async function removeImage(imageId: string, index: number) {
    const ok = await confirm({
      title: 'Remove this picture?',
      body: <p>Picture {index + 1} of “{product.name}” is removed from the shop.</p>,
      confirmLabel: 'Remove picture',
      danger: true,
    });
    if (!ok) return;
    setBusy(true);
    setError(null);
    try {
      await api.deleteProductImage(product.id, imageId);
      onChange((await api.getProduct(product.id)).product);
      toast.show('Picture removed.');
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="image-manager" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Pictures</h3>
      {images.length === 0 && <p className="muted">No pictures yet: the shop shows a letter tile.</p>}
      <ul className="image-list">
        {images.map((img, i) => (
          <li key={String(img.id)}>
            <img src={img.thumbnail_url} alt={`Picture ${i + 1} of ${product.name}`} width={72} height={72} />
            {i === 0 && <span className="badge">main</span>}
            <button
              type="button"
              className="btn btn-link danger"
              disabled={busy}
              onClick={() => removeImage(String(img.id), i)}
              aria-label={`Remove picture ${i + 1}`}
            >
              Remove
            </button>
          </li>
        ))}
      </ul>
      <div className="field">
        <label htmlFor={`${id}-file`}>Add a picture</label>
        <input
          ref={inputRef}
          id={`${id}-file`}
          type="file"
          accept={IMAGE_TYPES.join(',')}
          disabled={busy}
          onChange={upload}
          aria-describedby={`${id}-hint`}
        />
        <p id={`${id}-hint`} className="hint">
          JPEG, PNG or WebP, up to 5 MB. The first picture is the main one.
        </p>
      </div>
      {busy && <Loading label="Working…" />}
      <ErrorMessage>{error}</ErrorMessage>
    </section>
  );
}
