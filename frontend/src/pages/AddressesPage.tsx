import { useState } from 'react';
import { api, ApiError, errorText, type Address, type SavedAddress } from '../api';
import { AddressForm, AddressLines, EMPTY_ADDRESS, addressErrors } from '../components/AddressForm';
import { useConfirm } from '../components/Dialog';
import { useToast } from '../components/Toasts';
import { EmptyState, ErrorMessage, Loading } from '../components/ui';
import { useLoader, useShopConfig, useTitle } from '../hooks';

/** The shopper's address book: add, change, delete, and choose the default (checkout starts with it). */
export function AddressesPage() {
  useTitle('Your addresses');
  const config = useShopConfig();
  const book = useLoader((signal) => api.addresses(signal).then((r) => r.items), []);
  const toast = useToast();
  const [confirm, dialog] = useConfirm();
  const [editing, setEditing] = useState<SavedAddress | 'new' | null>(null);
  const [draft, setDraft] = useState<Address>(EMPTY_ADDRESS);
  const [errors, setErrors] = useState<Partial<Record<keyof Address, string>>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  function edit(target: SavedAddress | 'new') {
    setEditing(target);
    setDraft(target === 'new' ? EMPTY_ADDRESS : target);
    setErrors({});
    setError(null);
  }

  async function save(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setError(null);
    try {
      const { name, line1, line2, city, postal_code, region, country, phone } = draft;
      const address = { name, line1, line2, city, postal_code, region, country, phone };
      if (editing === 'new') await api.addAddress(address);
      else if (editing) await api.updateAddress(editing.id, address);
      toast.show('Address saved.');
      setEditing(null);
      await book.reload();
    } catch (err) {
      if (err instanceof ApiError && err.status === 422) setErrors(addressErrors(err.fieldErrors, ''));
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  async function makeDefault(a: SavedAddress) {
    await api.updateAddress(a.id, { ...a, default: true });
    toast.show('Default address changed.');
    await book.reload();
  }

  async function remove(a: SavedAddress) {
    if (!(await confirm({ title: 'Delete this address?', body: <AddressLines address={a} />, confirmLabel: 'Delete', danger: true }))) return;
    await api.deleteAddress(a.id);
    toast.show('Address deleted. Orders already placed keep theirs.');
    await book.reload();
  }

  return (
    <section>
      <div className="page-head">
        <h1>Your addresses</h1>
      </div>
      <ErrorMessage>{book.error}</ErrorMessage>
      {book.loading && !book.data && <Loading />}
      {book.data && book.data.length === 0 && editing === null && <EmptyState title="No addresses yet." />}
      {book.data && book.data.length > 0 && (
        <ul className="address-book" aria-label="Saved addresses">
          {book.data.map((a) => (
            <li key={String(a.id)} className="card">
              <AddressLines address={a} />
              {a.default ? (
                <span className="badge">Default</span>
              ) : (
                <button type="button" className="btn btn-link" onClick={() => makeDefault(a)}>
                  Make default
                </button>
              )}
              <button type="button" className="btn btn-link" onClick={() => edit(a)}>
                Edit<span className="visually-hidden"> the address of {a.name}</span>
              </button>
              <button type="button" className="btn btn-link danger" onClick={() => remove(a)}>
                Delete<span className="visually-hidden"> the address of {a.name}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {editing === null ? (
        <button type="button" className="btn btn-secondary" onClick={() => edit('new')}>
          Add an address
        </button>
      ) : (
        <form className="card" onSubmit={save} noValidate>
          <AddressForm
            legend={editing === 'new' ? 'New address' : 'Edit address'}
            value={draft}
            onChange={setDraft}
            countries={config?.ships_to ?? []}
            errors={errors}
            idPrefix="book"
          />
          <ErrorMessage>{error}</ErrorMessage>
          <div className="button-row">
            <button type="submit" className="btn btn-primary" disabled={busy}>
              Save address
            </button>
            <button type="button" className="btn btn-link" onClick={() => setEditing(null)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {dialog}
    </section>
  );
}
