import { useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { api, ApiError, errorText, newIdempotencyKey, type CartItem } from '../api';
import { EmptyState, ErrorMessage, Loading, Money, Notice } from '../components/ui';
import { useLoader, useTitle } from '../hooks';

export function CartPage() {
  useTitle('Cart');
  const navigate = useNavigate();
  const { data: cart, error, loading, reload } = useLoader((signal) => api.getCart(signal), []);
  const [actionError, setActionError] = useState<string | null>(null);
  const [removing, setRemoving] = useState<string | null>(null);
  const [checkingOut, setCheckingOut] = useState(false);
  // One key per checkout attempt: reused if the same attempt is retried after a
  // network failure or server error, dropped once the server gave a definite answer.
  const attemptKey = useRef<string | null>(null);

  async function remove(item: CartItem) {
    setActionError(null);
    setRemoving(String(item.product_id));
    try {
      await api.removeFromCart(item.product_id);
      attemptKey.current = null; // the cart changed: a new checkout is a new attempt
      await reload();
    } catch (err) {
      setActionError(errorText(err));
    } finally {
      setRemoving(null);
    }
  }

  async function checkout() {
    setActionError(null);
    setCheckingOut(true);
    if (!attemptKey.current) attemptKey.current = newIdempotencyKey();
    try {
      const res = await api.checkout(attemptKey.current);
      attemptKey.current = null;
      navigate(`/orders/${encodeURIComponent(String(res.order_id))}/pay`, {
        state: { checkout: res },
      });
    } catch (err) {
      if (err instanceof ApiError && err.status >= 400 && err.status < 500) attemptKey.current = null;
      setActionError(errorText(err));
      setCheckingOut(false);
      if (err instanceof ApiError && (err.status === 409 || err.status === 422)) void reload();
    }
  }

  const items = cart?.items ?? [];
  const unavailable = items.filter((i) => i.available === false);

  return (
    <section>
      <div className="page-head">
        <h1>Your cart</h1>
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
          <div className="card table-card">
            <table className="table">
              <caption className="sr-only">Items in your cart</caption>
              <thead>
                <tr>
                  <th scope="col">Product</th>
                  <th scope="col" className="num">Unit price</th>
                  <th scope="col" className="num">Quantity</th>
                  <th scope="col" className="num">Total</th>
                  <th scope="col"><span className="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {items.map((item) => (
                  <tr key={String(item.product_id)} data-testid="cart-line" data-product-id={String(item.product_id)}>
                    <th scope="row" className="line-name">
                      {item.name}
                      {item.available === false && (
                        <span className="badge badge-warning" data-testid="cart-line-unavailable">
                          not available
                        </span>
                      )}
                    </th>
                    <td className="num" data-label="Unit price">
                      <Money amount={item.unit_price} currency={item.currency || cart.currency} />
                    </td>
                    <td className="num" data-label="Quantity" data-testid="cart-line-quantity">
                      {item.quantity}
                    </td>
                    <td className="num" data-label="Total">
                      <Money amount={item.line_total} currency={item.currency || cart.currency} />
                    </td>
                    <td className="actions">
                      <button
                        type="button"
                        className="btn btn-link danger"
                        aria-label={`Remove ${item.name}`}
                        disabled={removing === String(item.product_id) || checkingOut}
                        onClick={() => remove(item)}
                      >
                        Remove
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
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
                {unavailable.map((i) => i.name).join(', ')} {unavailable.length === 1 ? 'is' : 'are'} no longer available in
                that quantity. Remove {unavailable.length === 1 ? 'it' : 'them'} to check out.
              </Notice>
            )}
            <ErrorMessage>{actionError}</ErrorMessage>
            <button type="button" className="btn btn-primary btn-block" onClick={checkout} disabled={checkingOut || removing !== null}>
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
