import { useEffect, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { api, errorText, type CartItem } from '../api';
import { useCart } from '../cart';
import { QuantityStepper } from '../components/QuantityStepper';
import { EmptyState, ErrorMessage, Loading, Money, Notice } from '../components/ui';
import { useLoader, useTitle } from '../hooks';

/** The most a line may hold (the API's bound). */
const MAX_LINE = 1000;

export function CartPage() {
  useTitle('Cart');
  const navigate = useNavigate();
  const { noteCart, setQuantity } = useCart();
  const { data: cart, error, loading, reload } = useLoader((signal) => api.getCart(signal), []);
  const [actionError, setActionError] = useState<string | null>(null);
  const [busyLine, setBusyLine] = useState<string | null>(null);

  useEffect(() => {
    if (cart) noteCart(cart);
  }, [cart, noteCart]);

  async function change(item: CartItem, quantity: number) {
    setActionError(null);
    setBusyLine(String(item.product_id));
    try {
      await setQuantity(item.product_id, quantity);
    } catch (err) {
      setActionError(errorText(err));
    } finally {
      await reload();
      setBusyLine(null);
    }
  }

  function checkout() {
    navigate('/checkout');
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
              const busy = busyLine === String(item.product_id);
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
            <button type="button" className="btn btn-primary btn-block" onClick={checkout} disabled={busyLine !== null || unavailable.length > 0}>
              Checkout
            </button>
            <p className="hint">Address, shipping and tax on the next steps.</p>
          </aside>
        </div>
      )}
      {cart && items.length === 0 && <ErrorMessage>{actionError}</ErrorMessage>}
    </section>
  );
}
