import { useState } from 'react';
import {
  api,
  errorText,
  type DiscountCode,
  type DiscountCodeInput,
  type ShippingMethod,
  type ShippingMethodInput,
  type TaxRate,
} from '../api';
import { useAuth } from '../auth';
import { useConfirm } from '../components/Dialog';
import { Field } from '../components/Field';
import { rateLabel } from '../components/OrderFigures';
import { useToast } from '../components/Toasts';
import { DateTime, EmptyState, ErrorMessage, Loading, Money } from '../components/ui';
import { formErrors, type FieldErrors } from '../fieldErrors';
import { useLoader, useShopConfig, useTitle } from '../hooks';
import { currencyDigits, minorToDecimalString, parseAmount } from '../money';

/** What the shop sells by: shipping methods (and their zones), tax rates, discount codes. */
export function AdminSellingPage() {
  useTitle('Shipping, tax and discounts');
  const { user } = useAuth();
  const canEdit = user?.role === 'admin';
  return (
    <section className="admin-selling">
      <div className="page-head">
        <h1>Shipping, tax and discounts</h1>
      </div>
      <ShippingMethods canEdit={canEdit} />
      <TaxRates canEdit={canEdit} />
      <DiscountCodes canEdit={canEdit} />
    </section>
  );
}

const countriesText = (codes: string[]) => codes.join(', ');
const parseCountries = (text: string) =>
  text
    .split(/[\s,;]+/)
    .map((c) => c.trim().toUpperCase())
    .filter(Boolean);

function amountText(minor: number | null, currency: string): string {
  return minor === null ? '' : minorToDecimalString(minor, currencyDigits(currency));
}

// -- shipping methods ------------------------------------------------------------------------

interface MethodDraft {
  name: string;
  countries: string;
  price: string;
  currency: string;
  free_above: string;
  min_days: string;
  max_days: string;
}

const METHOD_LABELS = {
  name: 'Name',
  countries: 'Countries',
  price: 'Price',
  currency: 'Currency',
  free_above: 'Free from',
  min_days: 'Fewest days',
  max_days: 'Most days',
};

function ShippingMethods({ canEdit }: { canEdit: boolean }) {
  const config = useShopConfig();
  const methods = useLoader((signal) => api.shippingMethods(signal).then((r) => r.items), []);
  const toast = useToast();
  const [confirm, dialog] = useConfirm();
  const [editing, setEditing] = useState<ShippingMethod | 'new' | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function remove(method: ShippingMethod) {
    if (!(await confirm({ title: `Delete the shipping method ${method.name}?`, body: 'Orders placed with it keep it; new orders can no longer choose it.', confirmLabel: 'Delete', danger: true }))) return;
    try {
      await api.deleteShippingMethod(method.id);
      toast.show(`${method.name} deleted.`);
      await methods.reload();
    } catch (err) {
      setError(errorText(err));
    }
  }

  return (
    <section className="card" aria-labelledby="shipping-title">
      <h2 id="shipping-title">Shipping methods</h2>
      <p className="muted">Each method ships to its countries (its zone) at its price. With no method at all, the shop sells without asking for an address.</p>
      <ErrorMessage>{methods.error ?? error}</ErrorMessage>
      {methods.loading && !methods.data && <Loading />}
      {methods.data && methods.data.length === 0 && <EmptyState title="No shipping methods: orders are placed without an address." />}
      {methods.data && methods.data.length > 0 && (
        <table className="table" data-testid="shipping-methods">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Countries</th>
              <th scope="col">Price</th>
              <th scope="col">Delivery</th>
              {canEdit && <th scope="col"><span className="visually-hidden">Actions</span></th>}
            </tr>
          </thead>
          <tbody>
            {methods.data.map((m) => (
              <tr key={m.id}>
                <td>{m.name}</td>
                <td>{countriesText(m.countries)}</td>
                <td>
                  <Money amount={m.price} currency={m.currency} />
                  {m.free_above !== null && (
                    <span className="muted">
                      {' '}
                      (free from <Money amount={m.free_above} currency={m.currency} />)
                    </span>
                  )}
                </td>
                <td>
                  {m.min_days}–{m.max_days} days
                </td>
                {canEdit && (
                  <td className="actions">
                    <button type="button" className="btn btn-link" onClick={() => setEditing(m)}>
                      Edit<span className="visually-hidden"> {m.name}</span>
                    </button>
                    <button type="button" className="btn btn-link danger" onClick={() => remove(m)}>
                      Delete<span className="visually-hidden"> {m.name}</span>
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canEdit && editing === null && (
        <button type="button" className="btn btn-secondary" onClick={() => setEditing('new')}>
          Add a shipping method
        </button>
      )}
      {canEdit && editing !== null && (
        <MethodForm
          method={editing === 'new' ? null : editing}
          currency={config?.currency ?? 'EUR'}
          onDone={async (saved) => {
            setEditing(null);
            if (saved) {
              toast.show(`${saved.name} saved.`);
              await methods.reload();
            }
          }}
        />
      )}
      {dialog}
    </section>
  );
}

function MethodForm({
  method,
  currency,
  onDone,
}: {
  method: ShippingMethod | null;
  currency: string;
  onDone: (saved: ShippingMethod | null) => void;
}) {
  const start = method?.currency ?? currency;
  const [draft, setDraft] = useState<MethodDraft>({
    name: method?.name ?? '',
    countries: method ? countriesText(method.countries) : '',
    price: method ? amountText(method.price, start) : '',
    currency: start,
    free_above: method ? amountText(method.free_above, start) : '',
    min_days: String(method?.min_days ?? 2),
    max_days: String(method?.max_days ?? 5),
  });
  const [fields, setFields] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (name: keyof MethodDraft) => (e: { target: { value: string } }) => setDraft({ ...draft, [name]: e.target.value });

  async function save(e: React.FormEvent) {
    e.preventDefault();
    setFields({});
    setFormError(null);
    let body: ShippingMethodInput;
    try {
      body = {
        name: draft.name,
        countries: parseCountries(draft.countries),
        currency: draft.currency.toUpperCase(),
        price: parseAmount(draft.price, draft.currency),
        free_above: draft.free_above.trim() ? parseAmount(draft.free_above, draft.currency) : null,
        min_days: Number.parseInt(draft.min_days, 10),
        max_days: Number.parseInt(draft.max_days, 10),
        rates: method?.rates.filter((r) => r.currency !== draft.currency.toUpperCase()),
      };
    } catch (err) {
      setFields({ price: errorText(err) });
      return;
    }
    setBusy(true);
    try {
      onDone(method ? await api.updateShippingMethod(method.id, body) : await api.addShippingMethod(body));
    } catch (err) {
      const found = formErrors(err, METHOD_LABELS);
      const byField: FieldErrors = { ...found.fields };
      for (const key of Object.keys(byField)) if (key.startsWith('countries.')) byField.countries = byField[key];
      setFields(byField);
      setFormError(found.form);
      setBusy(false);
    }
  }

  return (
    <form className="admin-form" onSubmit={save} noValidate aria-label={method ? `Edit ${method.name}` : 'New shipping method'}>
      <Field label={METHOD_LABELS.name} error={fields.name}>
        <input value={draft.name} onChange={set('name')} required />
      </Field>
      <Field label={METHOD_LABELS.countries} error={fields.countries} hint="Country codes, such as DE, AT, CH">
        <input value={draft.countries} onChange={set('countries')} required />
      </Field>
      <div className="field-row">
        <Field label={`${METHOD_LABELS.price} (${draft.currency})`} error={fields.price}>
          <input value={draft.price} onChange={set('price')} inputMode="decimal" required />
        </Field>
        <Field label={METHOD_LABELS.currency} error={fields.currency}>
          <input value={draft.currency} onChange={set('currency')} maxLength={3} required />
        </Field>
        <Field label={`${METHOD_LABELS.free_above} (${draft.currency})`} error={fields.free_above} hint="Leave empty: never free">
          <input value={draft.free_above} onChange={set('free_above')} inputMode="decimal" />
        </Field>
      </div>
      <div className="field-row">
        <Field label={METHOD_LABELS.min_days} error={fields.min_days}>
          <input type="number" min={0} value={draft.min_days} onChange={set('min_days')} />
        </Field>
        <Field label={METHOD_LABELS.max_days} error={fields.max_days}>
          <input type="number" min={0} value={draft.max_days} onChange={set('max_days')} />
        </Field>
      </div>
      <ErrorMessage>{formError}</ErrorMessage>
      <div className="button-row">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save shipping method'}
        </button>
        <button type="button" className="btn btn-link" onClick={() => onDone(null)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

// -- tax rates -----------------------------------------------------------------------------

function TaxRates({ canEdit }: { canEdit: boolean }) {
  const rates = useLoader((signal) => api.taxRates(signal).then((r) => r.items), []);
  const config = useShopConfig();
  const toast = useToast();
  const [country, setCountry] = useState('');
  const [rate, setRate] = useState('');
  const [reduced, setReduced] = useState('');
  const [editing, setEditing] = useState<TaxRate | null>(null);
  const [fields, setFields] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  function edit(r: TaxRate | null) {
    setEditing(r);
    setCountry(r?.country ?? '');
    setRate(r ? String(r.rate_bp / 100) : '');
    setReduced(r?.reduced_rate_bp != null ? String(r.reduced_rate_bp / 100) : '');
    setFields({});
    setFormError(null);
  }

  async function save(e: React.FormEvent) {
    e.preventDefault();
    setFields({});
    setFormError(null);
    const points = (text: string) => Math.round(Number.parseFloat(text.replace(',', '.')) * 100);
    if (!rate.trim() || Number.isNaN(points(rate))) {
      setFields({ rate_bp: 'Enter the rate as a percentage, such as 19.' });
      return;
    }
    const body = {
      country: country.trim().toUpperCase(),
      rate_bp: points(rate),
      reduced_rate_bp: reduced.trim() ? points(reduced) : null,
    };
    setBusy(true);
    try {
      if (editing) await api.updateTaxRate(editing.id, body);
      else await api.addTaxRate(body);
      toast.show(`Tax for ${body.country} saved.`);
      edit(null);
      await rates.reload();
    } catch (err) {
      const found = formErrors(err, { country: 'Country', rate_bp: 'Rate', reduced_rate_bp: 'Reduced rate' });
      setFields(found.fields);
      setFormError(found.form);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="tax-title">
      <h2 id="tax-title">Tax rates</h2>
      <p className="muted">
        An order is taxed at the rates of the country it ships to; products of the reduced tax class use the reduced rate. Prices{' '}
        {config?.prices_include_tax === false ? 'exclude tax (it is added at checkout)' : 'include tax'}.
      </p>
      <ErrorMessage>{rates.error}</ErrorMessage>
      {rates.data && rates.data.length > 0 && (
        <table className="table" data-testid="tax-rates">
          <thead>
            <tr>
              <th scope="col">Country</th>
              <th scope="col">Standard</th>
              <th scope="col">Reduced</th>
              {canEdit && <th scope="col"><span className="visually-hidden">Actions</span></th>}
            </tr>
          </thead>
          <tbody>
            {rates.data.map((r) => (
              <tr key={r.id}>
                <td>{r.country}</td>
                <td>{rateLabel(r.rate_bp)}</td>
                <td>{r.reduced_rate_bp === null ? '—' : rateLabel(r.reduced_rate_bp)}</td>
                {canEdit && (
                  <td className="actions">
                    <button type="button" className="btn btn-link" onClick={() => edit(r)}>
                      Edit<span className="visually-hidden"> {r.country}</span>
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {rates.data && rates.data.length === 0 && <EmptyState title="No tax rates: orders are untaxed." />}
      {canEdit && (
        <form className="admin-form" onSubmit={save} noValidate aria-label={editing ? `Edit tax for ${editing.country}` : 'New tax rate'}>
          <div className="field-row">
            <Field label="Country" error={fields.country} hint="Such as DE">
              <input value={country} onChange={(e) => setCountry(e.target.value)} maxLength={2} disabled={editing !== null} required />
            </Field>
            <Field label="Rate (%)" error={fields.rate_bp}>
              <input value={rate} onChange={(e) => setRate(e.target.value)} inputMode="decimal" required />
            </Field>
            <Field label="Reduced rate (%)" error={fields.reduced_rate_bp} hint="Optional">
              <input value={reduced} onChange={(e) => setReduced(e.target.value)} inputMode="decimal" />
            </Field>
          </div>
          <ErrorMessage>{formError}</ErrorMessage>
          <div className="button-row">
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {editing ? 'Save tax rate' : 'Add tax rate'}
            </button>
            {editing && (
              <button type="button" className="btn btn-link" onClick={() => edit(null)}>
                Cancel
              </button>
            )}
          </div>
        </form>
      )}
    </section>
  );
}

// -- discount codes ------------------------------------------------------------------------

function describeCode(code: DiscountCode): string {
  const what =
    code.percent_off !== null
      ? `${code.percent_off} % off`
      : `${minorToDecimalString(code.amount_off ?? 0, currencyDigits(code.currency ?? 'EUR'))} ${code.currency} off`;
  const where = code.product_ids.length > 0 ? ` ${code.product_ids.length} product(s)` : ' the whole order';
  return `${what}${where}`;
}

function DiscountCodes({ canEdit }: { canEdit: boolean }) {
  const config = useShopConfig();
  const codes = useLoader((signal) => api.discountCodes(signal).then((r) => r.items), []);
  const toast = useToast();
  const [confirm, dialog] = useConfirm();
  const [code, setCode] = useState('');
  const [kind, setKind] = useState<'percent' | 'amount'>('percent');
  const [value, setValue] = useState('');
  const [minimum, setMinimum] = useState('');
  const [endsAt, setEndsAt] = useState('');
  const [maxUses, setMaxUses] = useState('');
  const [perCustomer, setPerCustomer] = useState('');
  const [fields, setFields] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const currency = config?.currency ?? 'EUR';

  async function create(e: React.FormEvent) {
    e.preventDefault();
    setFields({});
    setFormError(null);
    let body: DiscountCodeInput;
    try {
      const needsCurrency = kind === 'amount' || minimum.trim() !== '';
      body = {
        code: code.trim(),
        percent_off: kind === 'percent' ? Number.parseInt(value, 10) : null,
        amount_off: kind === 'amount' ? parseAmount(value, currency) : null,
        currency: needsCurrency ? currency : null,
        min_subtotal: minimum.trim() ? parseAmount(minimum, currency) : null,
        starts_at: null,
        ends_at: endsAt ? new Date(endsAt).toISOString() : null,
        max_uses: maxUses.trim() ? Number.parseInt(maxUses, 10) : null,
        max_uses_per_customer: perCustomer.trim() ? Number.parseInt(perCustomer, 10) : null,
        product_ids: [],
      };
    } catch (err) {
      setFields({ amount_off: errorText(err) });
      return;
    }
    setBusy(true);
    try {
      const made = await api.addDiscountCode(body);
      toast.show(`The code ${made.code} is live.`);
      setCode('');
      setValue('');
      await codes.reload();
    } catch (err) {
      const found = formErrors(err, {
        code: 'Code',
        percent_off: 'Percentage',
        amount_off: 'Amount',
        min_subtotal: 'Minimum subtotal',
        ends_at: 'Ends',
        max_uses: 'Uses in all',
        max_uses_per_customer: 'Uses per customer',
      });
      setFields(found.fields);
      setFormError(found.form);
    } finally {
      setBusy(false);
    }
  }

  async function remove(c: DiscountCode) {
    if (!(await confirm({ title: `Delete the code ${c.code}?`, body: 'It no longer applies to new orders, and can never be given out again.', confirmLabel: 'Delete', danger: true }))) return;
    await api.deleteDiscountCode(c.id);
    toast.show(`${c.code} deleted: it no longer applies.`);
    await codes.reload();
  }

  return (
    <section className="card" aria-labelledby="codes-title">
      <h2 id="codes-title">Discount codes</h2>
      <ErrorMessage>{codes.error}</ErrorMessage>
      {codes.data && codes.data.length === 0 && <EmptyState title="No discount codes yet." />}
      {codes.data && codes.data.length > 0 && (
        <table className="table" data-testid="discount-codes">
          <thead>
            <tr>
              <th scope="col">Code</th>
              <th scope="col">Gives</th>
              <th scope="col">Used</th>
              <th scope="col">Ends</th>
              {canEdit && <th scope="col"><span className="visually-hidden">Actions</span></th>}
            </tr>
          </thead>
          <tbody>
            {codes.data.map((c) => (
              <tr key={String(c.id)}>
                <td>
                  <code>{c.code}</code>
                </td>
                <td>{describeCode(c)}</td>
                <td>
                  {c.uses}
                  {c.max_uses !== null && ` of ${c.max_uses}`}
                </td>
                <td>{c.ends_at ? <DateTime value={c.ends_at} /> : 'never'}</td>
                {canEdit && (
                  <td className="actions">
                    <button type="button" className="btn btn-link danger" onClick={() => remove(c)}>
                      Delete<span className="visually-hidden"> {c.code}</span>
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canEdit && (
        <form className="admin-form" onSubmit={create} noValidate aria-label="New discount code">
          <div className="field-row">
            <Field label="Code" error={fields.code} hint="Letters, digits, - or _">
              <input value={code} onChange={(e) => setCode(e.target.value)} required />
            </Field>
            <Field label="Gives">
              <select value={kind} onChange={(e) => setKind(e.target.value as 'percent' | 'amount')}>
                <option value="percent">A percentage off</option>
                <option value="amount">An amount off ({currency})</option>
              </select>
            </Field>
            <Field label={kind === 'percent' ? 'Percentage' : `Amount (${currency})`} error={fields.percent_off ?? fields.amount_off}>
              <input value={value} onChange={(e) => setValue(e.target.value)} inputMode="decimal" required />
            </Field>
          </div>
          <div className="field-row">
            <Field label={`Minimum subtotal (${currency})`} error={fields.min_subtotal} hint="Optional">
              <input value={minimum} onChange={(e) => setMinimum(e.target.value)} inputMode="decimal" />
            </Field>
            <Field label="Ends" error={fields.ends_at} hint="Optional">
              <input type="datetime-local" value={endsAt} onChange={(e) => setEndsAt(e.target.value)} />
            </Field>
            <Field label="Uses in all" error={fields.max_uses} hint="Optional">
              <input type="number" min={1} value={maxUses} onChange={(e) => setMaxUses(e.target.value)} />
            </Field>
            <Field label="Uses per customer" error={fields.max_uses_per_customer} hint="Optional">
              <input type="number" min={1} value={perCustomer} onChange={(e) => setPerCustomer(e.target.value)} />
            </Field>
          </div>
          <ErrorMessage>{formError}</ErrorMessage>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            Create code
          </button>
        </form>
      )}
      {dialog}
    </section>
  );
}
