import { lazy, Suspense, useEffect, useState } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router-dom';
import { api, ApiError, errorText, type CheckoutResponse, type Order } from '../api';
import { useCart } from '../cart';
import type { StripeOutcome } from '../components/StripePayment';
import { useToast } from '../components/Toasts';
import { ErrorMessage, Loading, Money, Notice, StatusBadge } from '../components/ui';
import { useShopConfig, useTitle } from '../hooks';
import { useLiveOrder } from '../liveOrder';
import { formatMoney } from '../money';
import { orderTitle } from '../orderWords';
import { recallClientSecret } from '../paymentSession';

const StripePayment = lazy(() => import('../components/StripePayment'));

/** How long to wait for Stripe's webhook after a payment went through before saying so. */
export const WEBHOOK_PATIENCE_MS = 20_000;

const PAYABLE = ['pending_payment', 'payment_failed'];

type Phase = 'idle' | 'confirming' | 'waiting' | 'slow' | 'declined';

export function PayPage() {
  const { id = '' } = useParams();
  const location = useLocation();
  const checkout = (location.state as { checkout?: CheckoutResponse } | null)?.checkout ?? null;
  const config = useShopConfig();
  const live = useLiveOrder(id);
  const order = live.order;
  const [phase, setPhase] = useState<Phase>('idle');
  const [declineText, setDeclineText] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [retryUnsupported, setRetryUnsupported] = useState(false);
  useTitle(order ? `Pay ${orderTitle(order)}` : 'Payment');

  // Waiting for the webhook: done when the order is paid; say so when it takes long.
  const status = order?.status;
  useEffect(() => {
    if (phase !== 'waiting') return;
    if (status && !PAYABLE.includes(status)) {
      setPhase('idle');
      return;
    }
    const timer = setTimeout(() => setPhase('slow'), WEBHOOK_PATIENCE_MS);
    return () => clearTimeout(timer);
  }, [phase, status]);

  if (!order && !live.error) return <Loading label="Loading payment…" />;
  if (!order) {
    return (
      <section>
        <h1>Payment</h1>
        <ErrorMessage>{live.error}</ErrorMessage>
      </section>
    );
  }

  const orderLink = `/orders/${encodeURIComponent(String(order.id))}`;
  const payable = PAYABLE.includes(order.status);
  const failed = order.status === 'payment_failed' || phase === 'declined';
  const busy = phase === 'confirming' || phase === 'waiting';
  const clientSecret = checkout?.client_secret ?? recallClientSecret(String(order.id));
  const amount = formatMoney(order.total, order.currency);

  async function payWithTestCard(outcome: 'success' | 'decline') {
    setActionError(null);
    setDeclineText(null);
    setPhase('confirming');
    try {
      const res = await api.devConfirmPayment(id, outcome);
      if (res.status === 'succeeded' || res.status === 'processing') setPhase('waiting');
      else {
        setDeclineText('The card was declined. The order was not paid.');
        setPhase('declined');
      }
    } catch (err) {
      if (err instanceof ApiError && err.status === 409 && order?.status === 'payment_failed') setRetryUnsupported(true);
      else setActionError(errorText(err));
      setPhase('idle');
    }
  }

  function onStripeOutcome(outcome: StripeOutcome) {
    if (outcome.kind === 'submitted') {
      setDeclineText(null);
      setPhase(outcome.status === 'succeeded' || outcome.status === 'processing' ? 'waiting' : 'idle');
    } else if (outcome.kind === 'declined') {
      setDeclineText(outcome.message);
      setPhase('declined');
    }
  }

  return (
    <section className="pay-page">
      <div className="page-head">
        <h1>Payment</h1>
        <p className="muted">{orderTitle(order)}</p>
      </div>
      <div className="card pay-card">
        <dl className="totals">
          <dt>Amount due</dt>
          <dd data-testid="amount-due">
            <Money amount={order.total} currency={order.currency} />
          </dd>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={order.status} testId="order-status" />
          </dd>
        </dl>

        {order.status === 'paid' && <Notice tone="success">Payment received. Thank you for your order!</Notice>}
        {payable && failed && !busy && (
          <div className="alert alert-error" role="alert" data-testid="payment-declined">
            {declineText ?? 'The card was declined. The order was not paid.'} You can try again with another card.
          </div>
        )}
        {phase === 'waiting' && payable && <Loading label="Payment sent. Waiting for Stripe to confirm it…" />}
        {phase === 'slow' && payable && (
          <Notice tone="warning">
            Stripe has not confirmed the payment yet. It can take a moment: this page updates by itself, or check{' '}
            <Link to={orderLink}>the order</Link> later.
          </Notice>
        )}
        {!payable && order.status !== 'paid' && <Notice>This order is no longer waiting for payment.</Notice>}

        {payable && !busy && retryUnsupported && <RestartOrder order={order} />}

        {payable && !busy && !retryUnsupported && config?.dev_payments && (
          <div className="dev-pay">
            <Notice tone="warning">
              <strong>Test mode.</strong> This shop talks to a local Stripe emulator, so no card form is shown and no real
              money moves. Choose how the test payment ends.
            </Notice>
            <div className="button-row">
              <button type="button" className="btn btn-primary" disabled={busy} onClick={() => payWithTestCard('success')}>
                {failed ? 'Try again with test card' : 'Pay with test card'}
              </button>
              <button type="button" className="btn btn-secondary" disabled={busy} onClick={() => payWithTestCard('decline')}>
                Simulate declined card
              </button>
            </div>
          </div>
        )}

        {payable && config && !config.dev_payments && (
          <div className="card-pay" hidden={busy}>
            {clientSecret && config.stripe_publishable_key ? (
              <Suspense fallback={<Loading label="Loading the card form…" />}>
                <StripePayment
                  publishableKey={config.stripe_publishable_key}
                  clientSecret={clientSecret}
                  payLabel={failed ? `Try again: pay ${amount}` : `Pay ${amount}`}
                  onOutcome={onStripeOutcome}
                />
              </Suspense>
            ) : (
              <Notice tone="warning">
                {config.stripe_publishable_key
                  ? 'This browser tab no longer has the payment session started at checkout. Cancel this order from its page and check out again.'
                  : 'Card payments are not configured on this shop (no Stripe publishable key).'}
              </Notice>
            )}
          </div>
        )}

        <ErrorMessage>{actionError}</ErrorMessage>

        <p className="button-row">
          <Link to={orderLink} className="btn btn-secondary">
            View order
          </Link>
          <Link to="/" className="btn btn-link">
            Continue shopping
          </Link>
        </p>
      </div>
    </section>
  );
}

/**
 * Where a server cannot take a second payment on a declined order: cancel it and put its
 * items back in the cart, so the shopper checks out again with another card.
 */
function RestartOrder({ order }: { order: Order }) {
  const navigate = useNavigate();
  const { refresh } = useCart();
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function restart() {
    setBusy(true);
    setError(null);
    try {
      try {
        await api.cancel(order.id);
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 409)) throw err;
      }
      for (const line of order.lines) await api.addToCart(line.product_id, line.quantity);
      await refresh();
      toast.show('The items are back in your cart. Check out again to pay with another card.');
      navigate('/cart');
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  }
  return (
    <div className="action" data-testid="restart-order">
      <Notice tone="info">This shop cannot take a second payment on the same order yet. Put the items back in your cart and check out again.</Notice>
      <ErrorMessage>{error}</ErrorMessage>
      <button type="button" className="btn btn-primary" disabled={busy} onClick={restart}>
        {busy ? 'Moving items…' : 'Put the items back in my cart'}
      </button>
    </div>
  );
}
