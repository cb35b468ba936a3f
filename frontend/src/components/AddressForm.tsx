import type { Address, Country } from '../api';
import { Field } from './Field';

export const EMPTY_ADDRESS: Address = { name: '', line1: '', line2: '', city: '', postal_code: '', region: '', country: '', phone: '' };

export const ADDRESS_LABELS: Record<keyof Address, string> = {
  name: 'Full name',
  line1: 'Street and number',
  line2: 'Apartment, floor, c/o (optional)',
  city: 'City',
  postal_code: 'Postal code',
  region: 'State or region',
  country: 'Country',
  phone: 'Phone (optional)',
};

/**
 * A postal address's fields. Countries come from the shop's list (where it ships), each with
 * its regions where it asks for one; the server checks the rest per country and names each
 * field it refuses (`errors`, keyed by field).
 */
export function AddressForm({
  legend,
  value,
  onChange,
  countries,
  errors,
  idPrefix,
}: {
  legend: string;
  value: Address;
  onChange: (address: Address) => void;
  countries: Country[];
  errors: Partial<Record<keyof Address, string>>;
  idPrefix: string;
}) {
  const country = countries.find((c) => c.code === value.country);
  const set = (field: keyof Address) => (e: { target: { value: string } }) => onChange({ ...value, [field]: e.target.value });
  const input = (field: keyof Address, autoComplete: string, required = true) => (
    <Field label={ADDRESS_LABELS[field]} error={errors[field]}>
      <input
        id={`${idPrefix}-${field}`}
        name={field}
        value={value[field] ?? ''}
        onChange={set(field)}
        autoComplete={autoComplete}
        required={required}
      />
    </Field>
  );
  return (
    <fieldset className="address-form">
      <legend>{legend}</legend>
      {input('name', 'name')}
      {input('line1', 'address-line1')}
      {input('line2', 'address-line2', false)}
      <div className="field-row">
        {input('postal_code', 'postal-code', country?.postal_code_required ?? true)}
        {input('city', 'address-level2')}
      </div>
      <Field label={ADDRESS_LABELS.country} error={errors.country}>
        {countries.length > 0 ? (
          <select
            id={`${idPrefix}-country`}
            name="country"
            value={value.country}
            onChange={(e) => onChange({ ...value, country: e.target.value, region: '' })}
            autoComplete="country"
            required
          >
            <option value="">Choose a country</option>
            {countries.map((c) => (
              <option key={c.code} value={c.code}>
                {c.name}
              </option>
            ))}
          </select>
        ) : (
          <input id={`${idPrefix}-country`} name="country" value={value.country} onChange={set('country')} maxLength={2} autoComplete="country" required />
        )}
      </Field>
      {country && country.regions.length > 0 && (
        <Field label={ADDRESS_LABELS.region} error={errors.region}>
          <select id={`${idPrefix}-region`} name="region" value={value.region ?? ''} onChange={set('region')} required={country.region_required}>
            <option value="">Choose</option>
            {country.regions.map((r) => (
              <option key={r.code} value={r.code}>
                {r.name}
              </option>
            ))}
          </select>
        </Field>
      )}
      {input('phone', 'tel', false)}
    </fieldset>
  );
}

/** The lines of an address as a label shows them. */
export function AddressLines({ address, testId }: { address: Partial<Address> & { erased?: boolean }; testId?: string }) {
  if (address.erased) {
    return (
      <p className="muted" data-testid={testId}>
        Erased at the customer's request.
      </p>
    );
  }
  const region = address.region ? address.region.split('-').pop() : '';
  const place = [address.postal_code, address.city, region].filter(Boolean).join(' ');
  return (
    <address data-testid={testId}>
      {[address.name, address.line1, address.line2, place, address.country, address.phone]
        .filter(Boolean)
        .map((line, i) => (
          <span key={i} className="address-line">
            {line}
          </span>
        ))}
    </address>
  );
}

/** The server's field errors under `prefix` ("shipping_address."), keyed by address field. */
export function addressErrors(fieldErrors: { field: string; message: string }[], prefix: string): Partial<Record<keyof Address, string>> {
  const found: Partial<Record<keyof Address, string>> = {};
  for (const fe of fieldErrors) {
    if (!fe.field.startsWith(prefix)) continue;
    const name = fe.field.slice(prefix.length) as keyof Address;
    if (name in ADDRESS_LABELS && !found[name]) found[name] = `${ADDRESS_LABELS[name]} ${fe.message}.`.replace(/\.\.$/, '.');
  }
  return found;
}
