import { useEffect, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { api, ApiError, errorText, newIdempotencyKey, type CartItem } from '../api';
import { useCart } from '../cart';
import { QuantityStepper } from '../components/QuantityStepper';
import { EmptyState, ErrorMessage, Loading, Money, Notice } from '../components/ui';
import { useLoader, useTitle } from '../hooks';
import { rememberClientSecret } from '../paymentSession';

/** The most a line may hold (the API's bound). */
const MAX_LINE = 1000;

export function CartPage() {
  useTitle('Cart');
  const navigate = useNavigate();
  const { noteCart, setQuantity } = useCart();
  const { data: cart, error, loading, reload } = useLoader((signal) => api.getCart(signal), []);
  const [actionError, setActionError] = useState<string | null>(null);
  const [busyLine, setBusyLine] = useState<string | null>(null);
  const [checkingOut, setCheckingOut] = useState(false);
  // One key per checkout attempt: reused if the same attempt is retried after a
  // network failure or server error, dropped once the server gave a definite answer.
  const attemptKey = useRef<string | null>(null);

  useEffect(() => {
    if (cart) noteCart(cart);
  }, [cart, noteCart]);

  async function change(item: CartItem, quantity: number) {
    setActionError(null);
    setBusyLine(String(item.product_id));
    try {
      await setQuantity(item.product_id, quantity);
      attemptKey.current = null; // the cart changed: a new checkout is a new attempt
    } catch (err) {
      setActionError(errorText(err));
    } finally {
      await reload();
      setBusyLine(null);
    }
  }

  async function checkout() {
    setActionError(null);
    setCheckingOut(true);
    if (!attemptKey.current) attemptKey.current = newIdempotencyKey();
    try {
      const res = await api.checkout(attemptKey.current);
      attemptKey.current = null;
      rememberClientSecret(String(res.order_id), res.client_secret);
      noteCart({ items: [], total: 0, currency: res.currency, count: 0 });
      navigate(`/orders/${encodeURIComponent(String(res.order_id))}/pay`, { state: { checkout: res } });
    } catch (err) {
      if (err instanceof ApiError && err.status >= 400 && err.status < 500) attemptKey.current = null;
      setActionError(errorText(err));
      setCheckingOut(false);
      if (err instanceof ApiError && (err.status === 409 || err.status === 422)) void reload();
    }
  }

  const items = cart?.items ?? [];
  const unavailable = items.filter((i) => i.available === false);
  const count = items.reduce((n, i) => n + i.quantity, 0);

  return (
    <section>
      <div className="page-head">
        <h1>Your cart</h1>
        {cart && items.length > 0 && (
          <p className="muted">
            {count} item{count === 1 ? '' : 's'}
          </p>
        )}
      </div>
      <ErrorMessage>{error}</ErrorMessage>
      {loading && !cart && <Loading label="Loading your cart…" />}
      {cart && items.length === 0 && (
        <EmptyState title="Your cart is empty.">
          <Link to="/" className="btn btn-primary">
            Browse products
          </Link>
        </EmptyState>
      )}
      {cart && items.length > 0 && (
        <div className="cart-layout">
          <ul className="cart-lines card" aria-label="Items in your cart">
            {items.map((item) => {
              const busy = busyLine === String(item.product_id) || checkingOut;
              const currency = item.currency || cart.currency;
              return (
                <li key={String(item.product_id)} className="cart-line" data-testid="cart-line" data-product-id={String(item.product_id)}>
                  <div className="cart-line-name">
                    <Link to={`/products/${encodeURIComponent(String(item.product_id))}`}>{item.name}</Link>
                    <span className="muted cart-line-unit">
                      <Money amount={item.unit_price} currency={currency} /> each
                    </span>
                    {item.available === false && (
                      <span className="badge tone-warning" data-testid="cart-line-unavailable">
                        Not available in this quantity
                      </span>
                    )}
                  </div>
                  <QuantityStepper
                    value={item.quantity}
                    min={1}
                    max={MAX_LINE}
                    label={`Quantity of ${item.name}`}
                    hideLabel
                    disabled={busy}
                    testId="cart-line-quantity"
                    onChange={(q) => change(item, q)}
                  />
                  <div className="cart-line-total" data-testid="cart-line-total">
                    <Money amount={item.line_total} currency={currency} />
                  </div>
                  <button
                    type="button"
                    className="btn btn-link danger cart-line-remove"
                    aria-label={`Remove ${item.name}`}
                    disabled={busy}
                    onClick={() => change(item, 0)}
                  >
                    Remove
                  </button>
                </li>
              );
            })}
          </ul>
          <aside className="card summary" aria-label="Order summary">
            <h2>Summary</h2>
            <dl className="totals">
              <dt>Total</dt>
              <dd data-testid="cart-total">
                <Money amount={cart.total} currency={cart.currency} />
              </dd>
            </dl>
            {unavailable.length > 0 && (
              <Notice tone="warning">
                {unavailable.map((i) => i.name).join(', ')} {unavailable.length === 1 ? 'is' : 'are'} not available in that
                quantity. Lower the quantity or remove {unavailable.length === 1 ? 'it' : 'them'} to check out.
              </Notice>
            )}
            <ErrorMessage>{actionError}</ErrorMessage>
            <button type="button" className="btn btn-primary btn-block" onClick={checkout} disabled={checkingOut || busyLine !== null}>
              {checkingOut ? 'Placing order…' : 'Checkout'}
            </button>
            <p className="hint">You pay on the next step.</p>
          </aside>
        </div>
      )}
      {cart && items.length === 0 && <ErrorMessage>{actionError}</ErrorMessage>}
    </section>
  );
}
