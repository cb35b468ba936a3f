import { lazy, Suspense, useEffect, useState } from 'react';
import { Link, useLocation, useParams } from 'react-router-dom';
import { api, errorText, type CheckoutResponse } from '../api';
import type { StripeOutcome } from '../components/StripePayment';
import { ErrorMessage, Loading, Money, Notice, StatusBadge } from '../components/ui';
import { useShopConfig, useTitle } from '../hooks';
import { useLiveOrder } from '../liveOrder';
import { formatMoney } from '../money';
import { orderTitle } from '../orderWords';
import { recallClientSecret, rememberClientSecret } from '../paymentSession';

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
  // The PaymentIntent's client secret: from the checkout, this tab's session, or (a payment
  // link, another device) asked of the shop while the order can be paid.
  const [fetchedSecret, setFetchedSecret] = useState<string | null>(null);
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

  const knownSecret = checkout?.client_secret ?? recallClientSecret(id);
  const payableNow = status !== undefined && PAYABLE.includes(status);
  useEffect(() => {
    if (!payableNow || knownSecret || fetchedSecret || !config || config.dev_payments) return;
    let live = true;
    api.paymentSession(id).then(
      (session) => {
        if (!live) return;
        rememberClientSecret(id, session.client_secret);
        setFetchedSecret(session.client_secret);
      },
      (err) => live && setActionError(errorText(err)),
    );
    return () => {
      live = false;
    };
  }, [payableNow, knownSecret, fetchedSecret, config, id]);

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
  const clientSecret = knownSecret ?? fetchedSecret;
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
      setActionError(errorText(err));
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

        {payable && !busy && config?.dev_payments && (
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
                  ? 'Getting the payment form ready…'
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
