import { useEffect, useRef, useState } from 'react';
import { Link, useLocation, useParams } from 'react-router-dom';
import { api, errorText, type CheckoutResponse, type Order, type ShopConfig } from '../api';
import { ErrorMessage, Loading, Money, Notice, StatusBadge } from '../components/ui';
import { useLoader, useTitle } from '../hooks';

export const POLL_INTERVAL_MS = 500;
export const POLL_TIMEOUT_MS = 20_000;

type Phase = 'idle' | 'confirming' | 'waiting' | 'done' | 'timeout';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function PayPage() {
  const { id = '' } = useParams();
  useTitle(`Pay order ${id}`);
  const location = useLocation();
  const checkout = ((location.state as { checkout?: CheckoutResponse } | null)?.checkout ?? null) as CheckoutResponse | null;

  const { data, error, loading } = useLoader(
    async (signal) => {
      const [config, order] = await Promise.all([api.config(signal), api.getOrder(id, signal)]);
      return { config, order };
    },
    [id],
  );
  const [order, setOrder] = useState<Order | null>(null);
  const [phase, setPhase] = useState<Phase>('idle');
  const [actionError, setActionError] = useState<string | null>(null);
  const alive = useRef(true);

  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  useEffect(() => {
    if (data) setOrder(data.order);
  }, [data]);

  async function pay(outcome: 'success' | 'decline') {
    setActionError(null);
    setPhase('confirming');
    try {
      await api.devConfirmPayment(id, outcome);
    } catch (err) {
      if (!alive.current) return;
      setActionError(errorText(err));
      setPhase('idle');
      return;
    }
    if (!alive.current) return;
    setPhase('waiting');
    // The order becomes paid (or failed) only through Stripe's webhook, asynchronously.
    const deadline = Date.now() + POLL_TIMEOUT_MS;
    while (alive.current && Date.now() < deadline) {
      try {
        const latest = await api.getOrder(id);
        if (!alive.current) return;
        setOrder(latest);
        if (latest.status !== 'pending_payment') {
          setPhase('done');
          return;
        }
      } catch {
        // a slow projection (503) or a blip: keep polling until the deadline
      }
      await sleep(POLL_INTERVAL_MS);
    }
    if (alive.current) setPhase('timeout');
  }

  if (loading && !data) return <Loading label="Loading payment…" />;
  if (error && !data) {
    return (
      <section>
        <h1>Payment</h1>
        <ErrorMessage>{error}</ErrorMessage>
      </section>
    );
  }
  if (!data || !order) return null;

  const config: ShopConfig = data.config;
  const orderLink = `/orders/${encodeURIComponent(String(order.id))}`;
  const pending = order.status === 'pending_payment';

  return (
    <section className="pay-page">
      <div className="page-head">
        <h1>Payment</h1>
        <p className="muted">Order {String(order.id)}</p>
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

        {pending && phase !== 'waiting' && phase !== 'timeout' && config.dev_payments && (
          <div className="dev-pay">
            <Notice tone="warning">
              Test mode: this shop talks to a local Stripe emulator, so no card form is shown. Choose the outcome of the
              payment.
            </Notice>
            <div className="button-row">
              <button type="button" className="btn btn-primary" disabled={phase === 'confirming'} onClick={() => pay('success')}>
                Pay with test card
              </button>
              <button type="button" className="btn btn-secondary" disabled={phase === 'confirming'} onClick={() => pay('decline')}>
                Simulate declined card
              </button>
            </div>
          </div>
        )}

        {pending && !config.dev_payments && (
          <div className="stripe-note" data-testid="stripe-payment-element">
            <Notice tone="info">
              The Stripe Payment Element would be mounted here with this order's client secret
              {checkout?.client_secret ? ' (received at checkout)' : ''}. This build does not load Stripe.js, so card
              payments are not available here: card payments require Stripe.js, configure the STRIPE keys
              {config.stripe_publishable_key ? '' : ' (no publishable key is configured)'}.
            </Notice>
          </div>
        )}

        <ErrorMessage>{actionError}</ErrorMessage>

        {phase === 'waiting' && <Loading label="Waiting for Stripe to confirm the payment…" />}
        {phase === 'timeout' && (
          <Notice tone="warning">
            Stripe has not confirmed the payment yet. It can take a moment: check <Link to={orderLink}>the order</Link>{' '}
            again shortly.
          </Notice>
        )}
        {order.status === 'paid' && <Notice tone="success">Payment received. Thank you for your order!</Notice>}
        {order.status === 'payment_failed' && <ErrorMessage>The card was declined. The order was not paid.</ErrorMessage>}
        {!pending && order.status !== 'paid' && order.status !== 'payment_failed' && (
          <Notice>This order is no longer waiting for payment.</Notice>
        )}

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
