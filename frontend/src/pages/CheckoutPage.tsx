import { useEffect, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import {
  api,
  ApiError,
  errorText,
  newIdempotencyKey,
  type Address,
  type CheckoutBody,
  type Quote,
  type SavedAddress,
  type ShippingOption,
} from '../api';
import { useCart } from '../cart';
import { AddressForm, AddressLines, EMPTY_ADDRESS, addressErrors } from '../components/AddressForm';
import { Field } from '../components/Field';
import { OrderFigures } from '../components/OrderFigures';
import { EmptyState, ErrorMessage, Loading, Money } from '../components/ui';
import { useLoader, useShopConfig, useTitle } from '../hooks';
import { rememberClientSecret } from '../paymentSession';

type Step = 'address' | 'shipping' | 'review';
const STEPS: { id: Step; label: string }[] = [
  { id: 'address', label: 'Address' },
  { id: 'shipping', label: 'Shipping' },
  { id: 'review', label: 'Review and pay' },
];

type AddressErrors = Partial<Record<keyof Address, string>>;

/**
 * Checkout in steps: where it goes (an address from the book, or a new one), how (the methods
 * that ship there), then every figure with the discount code field, and pay. Every figure is
 * the server's (POST /checkout/quote), and placing the order sends the same body, so what the
 * review shows is what the PaymentIntent asks. A shop with no shipping methods skips to the
 * review: it sells without an address.
 */
export function CheckoutPage() {
  useTitle('Checkout');
  const navigate = useNavigate();
  const config = useShopConfig();
  const { noteCart } = useCart();
  const cart = useLoader((signal) => api.getCart(signal), []);
  const book = useLoader((signal) => api.addresses(signal).then((r) => r.items), []);
  const ships = (config?.ships_to?.length ?? 0) > 0;

  const [step, setStep] = useState<Step>('address');
  const [chosenId, setChosenId] = useState<string | 'new' | null>(null);
  const [address, setAddress] = useState<Address>(EMPTY_ADDRESS);
  const [saveAddress, setSaveAddress] = useState(true);
  const [errors, setErrors] = useState<AddressErrors>({});
  const [options, setOptions] = useState<ShippingOption[] | null>(null);
  const [methodId, setMethodId] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const [appliedCode, setAppliedCode] = useState<string | null>(null);
  const [codeError, setCodeError] = useState<string | null>(null);
  const [billingSame, setBillingSame] = useState(true);
  const [billing, setBilling] = useState<Address>(EMPTY_ADDRESS);
  const [billingErrors, setBillingErrors] = useState<AddressErrors>({});
  const [quote, setQuote] = useState<Quote | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const attemptKey = useRef<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  // The default address of the book is chosen until the shopper picks another.
  const saved: SavedAddress[] = book.data ?? [];
  useEffect(() => {
    if (chosenId === null && book.data) setChosenId(book.data.length > 0 ? String(book.data[0].id) : 'new');
  }, [book.data, chosenId]);
  useEffect(() => {
    if (config && !ships) setStep('review');
  }, [config, ships]);
  // A new step: focus its heading, so keyboard and screen-reader users start there.
  useEffect(() => {
    heading.current?.focus();
  }, [step]);

  const currency = cart.data?.currency ?? config?.currency ?? 'EUR';
  const countries = config?.ships_to ?? [];
  const chosenAddress = chosenId && chosenId !== 'new' ? saved.find((a) => String(a.id) === chosenId) : undefined;
  const shippingTo = chosenAddress ?? address;

  function body(extra: Partial<CheckoutBody> = {}): CheckoutBody {
    const chosen: CheckoutBody = {};
    if (ships) {
      if (chosenAddress) chosen.address_id = chosenAddress.id;
      else chosen.shipping_address = address;
      if (methodId) chosen.shipping_method_id = methodId;
    }
    if (appliedCode) chosen.discount_code = appliedCode;
    if (!billingSame) chosen.billing_address = billing;
    return { ...chosen, ...extra };
  }

  function fail(err: unknown) {
    if (err instanceof ApiError && err.status === 422) {
      setErrors(addressErrors(err.fieldErrors, 'shipping_address.'));
      setBillingErrors(addressErrors(err.fieldErrors, 'billing_address.'));
      const codeProblem = err.fieldErrors.find((fe) => fe.field === 'discount_code');
      if (codeProblem) {
        setCodeError(`${codeProblem.message}.`);
        setAppliedCode(null);
        return;
      }
      const others = err.fieldErrors.filter((fe) => !/^(shipping|billing)_address\./.test(fe.field));
      setError(others.length > 0 || err.fieldErrors.length === 0 ? errorText(err) : 'Please check the address.');
      return;
    }
    setError(errorText(err));
  }

  async function toShipping(e: React.FormEvent) {
    e.preventDefault();
    setError(null);
    setErrors({});
    setBusy(true);
    try {
      // The server checks the address (and that the shop ships there) in the quote.
      try {
        await api.quote(body({ shipping_method_id: undefined }));
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 422 && err.fieldErrors.every((fe) => fe.field === 'shipping_method_id'))) throw err;
      }
      if (!chosenAddress && saveAddress) {
        const kept = await api.addAddress({ ...address, default: saved.length === 0 });
        setChosenId(String(kept.id));
        await book.reload();
      }
      const found = await api.shippingOptions(shippingTo.country, currency);
      setOptions(found.items);
      setMethodId((m) => (m && found.items.some((o) => o.id === m) ? m : found.items[0]?.id ?? null));
      setStep('shipping');
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  }

  async function review(extra: Partial<CheckoutBody> = {}): Promise<boolean> {
    setError(null);
    setBusy(true);
    try {
      setQuote(await api.quote(body(extra)));
      return true;
    } catch (err) {
      fail(err);
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function toReview(e: React.FormEvent) {
    e.preventDefault();
    if (await review()) setStep('review');
  }

  useEffect(() => {
    if (step === 'review' && config && !quote && !busy) void review();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [step, config]);

  async function applyCode(e: React.FormEvent) {
    e.preventDefault();
    setCodeError(null);
    const wanted = code.trim().toUpperCase();
    if (!wanted) return;
    if (await review({ discount_code: wanted })) setAppliedCode(wanted);
  }

  async function removeCode() {
    setAppliedCode(null);
    setCode('');
    await review({ discount_code: undefined });
  }

  async function placeOrder() {
    setError(null);
    setBusy(true);
    if (!attemptKey.current) attemptKey.current = newIdempotencyKey();
    try {
      const placed = await api.checkout(attemptKey.current, body());
      attemptKey.current = null;
      rememberClientSecret(String(placed.order_id), placed.client_secret);
      noteCart({ items: [], total: 0, currency: placed.currency, count: 0 });
      navigate(`/orders/${encodeURIComponent(String(placed.order_id))}/pay`, { state: { checkout: placed } });
    } catch (err) {
      if (err instanceof ApiError && err.status >= 400 && err.status < 500) attemptKey.current = null;
      fail(err);
      setBusy(false);
    }
  }

  if (cart.loading && !cart.data) return <Loading label="Loading your cart…" />;
  if (cart.data && cart.data.items.length === 0) {
    return (
      <section>
        <h1>Checkout</h1>
        <EmptyState title="Your cart is empty.">
          <Link to="/" className="btn btn-primary">
            Browse products
          </Link>
        </EmptyState>
      </section>
    );
  }
  if (!config || !cart.data) {
    return (
      <section>
        <h1>Checkout</h1>
        <ErrorMessage>{cart.error}</ErrorMessage>
        <Loading />
      </section>
    );
  }

  const steps = ships ? STEPS : STEPS.slice(2);
  const current = steps.find((s) => s.id === step) ?? steps[0];
  return (
    <section className="checkout">
      <div className="page-head">
        <h1>Checkout</h1>
        <Link to="/cart" className="btn btn-link">
          Back to the cart
        </Link>
      </div>
      {steps.length > 1 && (
        <ol className="steps" aria-label="Checkout steps">
          {steps.map((s, i) => (
            <li key={s.id} aria-current={s.id === step ? 'step' : undefined} className={s.id === step ? 'current' : ''}>
              {i + 1}. {s.label}
            </li>
          ))}
        </ol>
      )}
      <div className="card checkout-step">
        <h2 ref={heading} tabIndex={-1} data-testid="checkout-step">
          {current.label}
        </h2>
        {step === 'address' && (
          <form onSubmit={toShipping} noValidate>
            {saved.length > 0 && (
              <fieldset className="choices" aria-label="Ship to">
                <legend>Ship to</legend>
                {saved.map((a) => (
                  <label key={String(a.id)} className="choice">
                    <input
                      type="radio"
                      name="address"
                      value={String(a.id)}
                      checked={chosenId === String(a.id)}
                      onChange={() => setChosenId(String(a.id))}
                    />
                    <AddressLines address={a} />
                    {a.default && <span className="badge">Default</span>}
                  </label>
                ))}
                <label className="choice">
                  <input type="radio" name="address" value="new" checked={chosenId === 'new'} onChange={() => setChosenId('new')} />
                  A new address
                </label>
              </fieldset>
            )}
            {(chosenId === 'new' || saved.length === 0) && (
              <>
                <AddressForm legend="Shipping address" value={address} onChange={setAddress} countries={countries} errors={errors} idPrefix="ship" />
                <label className="checkbox">
                  <input type="checkbox" checked={saveAddress} onChange={(e) => setSaveAddress(e.target.checked)} />
                  Save this address in my address book
                </label>
              </>
            )}
            <ErrorMessage>{error}</ErrorMessage>
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {busy ? 'Checking…' : 'Continue to shipping'}
            </button>
          </form>
        )}

        {step === 'shipping' && (
          <form onSubmit={toReview}>
            <p>
              Shipping to <strong>{shippingTo.city}</strong>, {shippingTo.country}.{' '}
              <button type="button" className="btn btn-link" onClick={() => setStep('address')}>
                Change
              </button>
            </p>
            {options && options.length === 0 && <ErrorMessage>The shop does not ship to this country in {currency}.</ErrorMessage>}
            {options && options.length > 0 && (
              <fieldset className="choices">
                <legend>Shipping method</legend>
                {options.map((o) => (
                  <label key={o.id} className="choice" data-testid="shipping-option">
                    <input type="radio" name="method" value={o.id} checked={methodId === o.id} onChange={() => setMethodId(o.id)} />
                    <span className="choice-name">{o.name}</span>
                    <span className="muted">
                      {o.min_days === o.max_days ? o.max_days : `${o.min_days}–${o.max_days}`} days
                    </span>
                    <span>
                      <Money amount={o.price} currency={o.currency} />
                      {o.free_above !== null && (
                        <span className="muted">
                          {' '}
                          (free from <Money amount={o.free_above} currency={o.currency} />)
                        </span>
                      )}
                    </span>
                  </label>
                ))}
              </fieldset>
            )}
            <ErrorMessage>{error}</ErrorMessage>
            <button type="submit" className="btn btn-primary" disabled={busy || !methodId}>
              {busy ? 'Working out your total…' : 'Continue to review'}
            </button>
          </form>
        )}

        {step === 'review' && (
          <div className="review">
            {ships && (
              <div className="review-where">
                <h3>Shipping to</h3>
                <AddressLines address={shippingTo} testId="review-address" />
                {quote?.shipping_method && (
                  <p data-testid="review-method">
                    {quote.shipping_method.name} ({quote.shipping_method.min_days}–{quote.shipping_method.max_days} days){' '}
                    <button type="button" className="btn btn-link" onClick={() => setStep('shipping')}>
                      Change
                    </button>
                  </p>
                )}
              </div>
            )}
            {quote && (
              <ul className="review-lines" aria-label="Items">
                {quote.lines.map((line) => (
                  <li key={String(line.product_id)}>
                    <span>
                      {line.quantity} × {line.name}
                    </span>
                    <Money amount={line.unit_price * line.quantity} currency={quote.currency} />
                  </li>
                ))}
              </ul>
            )}
            <form className="code-form" onSubmit={applyCode}>
              <Field label="Discount code" error={codeError}>
                <input id="discount-code" value={code} onChange={(e) => setCode(e.target.value)} autoComplete="off" disabled={appliedCode !== null} />
              </Field>
              {appliedCode ? (
                <button type="button" className="btn btn-secondary" onClick={removeCode} disabled={busy}>
                  Remove code
                </button>
              ) : (
                <button type="submit" className="btn btn-secondary" disabled={busy || !code.trim()}>
                  Apply
                </button>
              )}
            </form>
            {quote && <OrderFigures figures={quote} includesTax={config.prices_include_tax ?? true} discountCode={quote.discount_code} />}
            {ships && (
              <>
                <label className="checkbox">
                  <input type="checkbox" checked={billingSame} onChange={(e) => setBillingSame(e.target.checked)} />
                  Billing address is the same as the shipping address
                </label>
                {!billingSame && (
                  <AddressForm legend="Billing address" value={billing} onChange={setBilling} countries={countries} errors={billingErrors} idPrefix="bill" />
                )}
              </>
            )}
            <ErrorMessage>{error}</ErrorMessage>
            <button type="button" className="btn btn-primary btn-block" onClick={placeOrder} disabled={busy || !quote}>
              {busy ? 'Placing order…' : quote ? `Place order and pay` : 'Working out your total…'}
            </button>
            <p className="hint">You pay on the next step.</p>
          </div>
        )}
      </div>
    </section>
  );
}
