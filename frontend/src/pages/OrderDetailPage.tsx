import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, ApiError, errorText, newIdempotencyKey, type HistoryEntry, type Id, type Order, type PaymentEvent } from '../api';
import { useAuth } from '../auth';
import { BackLink, DateTime, EmptyState, ErrorMessage, Loading, Money, Notice, StatusBadge, statusLabel } from '../components/ui';
import { useLoader, useTitle } from '../hooks';
import { currencyDigits, formatMoney, MoneyParseError, parseMinorUnits } from '../money';
import { actorLabel, refundableAmount, reservedRefunds } from '../orderHelpers';

interface OrderBundle {
  order: Order;
  history: HistoryEntry[];
  payments: PaymentEvent[] | null;
  paymentsError: string | null;
}

const REFUNDABLE = ['paid', 'fulfilled', 'partially_refunded'];
const FULFILLABLE = ['paid', 'partially_refunded'];
const UNPAID = ['pending_payment', 'payment_failed'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long to keep looking for an effect that only Stripe's webhook brings (status, refunds). */
export const FOLLOW_UP_POLLS = 10;
export const FOLLOW_UP_INTERVAL_MS = 1000;

export function OrderDetailPage({ scope }: { scope: 'mine' | 'all' }) {
  const { id = '' } = useParams();
  useTitle(`Order ${id}`);
  const { isAdmin, user } = useAuth();
  const withPayments = scope === 'all';
  const { data, error, loading, reload } = useLoader(async (signal): Promise<OrderBundle> => {
    const [order, history, payments] = await Promise.all([
      api.getOrder(id, signal),
      api.orderHistory(id, signal),
      withPayments
        ? api.orderPayments(id, signal).then(
            (r) => ({ items: r.items, error: null as string | null }),
            (err) => ({ items: null, error: errorText(err) }),
          )
        : Promise.resolve({ items: null, error: null }),
    ]);
    return { order, history: history.items, payments: payments.items, paymentsError: payments.error };
  }, [id, withPayments]);

  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);
  const latest = useRef<OrderBundle | null>(null);
  latest.current = data;
  const followUp = useRef(0);

  /**
   * Reload once (the command's X-Event-Position makes that read show the command's own
   * events). If `changed` says an effect that arrives later through Stripe's webhook has
   * not shown yet, keep polling in the background for a while, without holding the form.
   */
  async function refresh(changed?: (before: Order, after: Order) => boolean) {
    const before = latest.current?.order;
    const after = (await reload())?.order;
    if (!changed || !before || (after && changed(before, after))) return;
    const generation = ++followUp.current;
    void (async () => {
      for (let i = 0; i < FOLLOW_UP_POLLS; i++) {
        await sleep(FOLLOW_UP_INTERVAL_MS);
        if (!alive.current || followUp.current !== generation) return;
        const next = (await reload())?.order;
        if (next && changed(before, next)) return;
      }
    })();
  }

  if (loading && !data) return <Loading label="Loading order…" />;
  if (error && !data) {
    return (
      <section>
        <BackLink to={scope === 'all' ? '/admin/orders' : '/orders'}>{scope === 'all' ? 'All orders' : 'My orders'}</BackLink>
        <h1>Order {id}</h1>
        <ErrorMessage>{error}</ErrorMessage>
      </section>
    );
  }
  if (!data) return null;
  const { order, history, payments, paymentsError } = data;
  const orderPath = `/orders/${encodeURIComponent(String(order.id))}`;
  // Requested but not yet confirmed by Stripe's webhook.
  const pendingRefund = Math.max(0, reservedRefunds(history) - order.amount_refunded);

  return (
    <section className="order-page">
      <BackLink to={scope === 'all' ? '/admin/orders' : '/orders'}>{scope === 'all' ? 'All orders' : 'My orders'}</BackLink>
      <div className="page-head">
        <h1>
          Order <span className="mono">{String(order.id)}</span>
        </h1>
        <StatusBadge status={order.status} testId="order-status" />
      </div>
      {error && <ErrorMessage>{error}</ErrorMessage>}

      <div className="order-grid">
        <div className="order-main">
          <div className="card table-card">
            <table className="table">
              <caption>Items</caption>
              <thead>
                <tr>
                  <th scope="col">Product</th>
                  <th scope="col" className="num">Unit price</th>
                  <th scope="col" className="num">Quantity</th>
                  <th scope="col" className="num">Total</th>
                </tr>
              </thead>
              <tbody>
                {order.lines.map((line) => (
                  <tr key={String(line.product_id)} data-testid="order-line">
                    <th scope="row">{line.name}</th>
                    <td className="num" data-label="Unit price">
                      <Money amount={line.unit_price} currency={order.currency} />
                    </td>
                    <td className="num" data-label="Quantity">
                      {line.quantity}
                    </td>
                    <td className="num" data-label="Total">
                      <Money amount={line.line_total} currency={order.currency} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>

          <section className="card" aria-labelledby="history-title">
            <h2 id="history-title">History</h2>
            <Timeline entries={history} order={order} me={user} />
          </section>

          {withPayments && (
            <section className="card" aria-labelledby="payments-title">
              <h2 id="payments-title">Payment timeline</h2>
              <ErrorMessage>{paymentsError}</ErrorMessage>
              {payments && <PaymentsTable rows={payments} />}
            </section>
          )}
        </div>

        <aside className="order-side">
          <section className="card" aria-labelledby="summary-title">
            <h2 id="summary-title">Summary</h2>
            <dl className="totals">
              <dt>Status</dt>
              <dd>{statusLabel(order.status)}</dd>
              <dt>Total</dt>
              <dd data-testid="order-total">
                <Money amount={order.total} currency={order.currency} />
              </dd>
              {order.amount_refunded > 0 && (
                <>
                  <dt>Refunded</dt>
                  <dd data-testid="order-refunded">
                    −<Money amount={order.amount_refunded} currency={order.currency} />
                  </dd>
                  <dt>Net paid</dt>
                  <dd>
                    <Money amount={order.total - order.amount_refunded} currency={order.currency} />
                  </dd>
                </>
              )}
              {pendingRefund > 0 && (
                <>
                  <dt>Refund pending</dt>
                  <dd data-testid="order-refund-pending">
                    <Money amount={pendingRefund} currency={order.currency} />
                  </dd>
                </>
              )}
              <dt>Placed</dt>
              <dd>
                <DateTime value={order.created_at} />
              </dd>
              <dt>Updated</dt>
              <dd>
                <DateTime value={order.updated_at} />
              </dd>
              {order.dispute && (
                <>
                  <dt>Dispute</dt>
                  <dd data-testid="order-dispute">{order.dispute}</dd>
                </>
              )}
              {order.tracking_note && (
                <>
                  <dt>Tracking</dt>
                  <dd data-testid="tracking-note">{order.tracking_note}</dd>
                </>
              )}
              {scope === 'all' && (
                <>
                  <dt className="stacked">Customer</dt>
                  <dd className="stacked mono">{String(order.user_id)}</dd>
                  <dt className="stacked">Payment intent</dt>
                  <dd className="stacked mono">{order.payment_intent_id ?? '—'}</dd>
                  <dt>Version</dt>
                  <dd>{order.version}</dd>
                </>
              )}
            </dl>
            {scope === 'mine' && order.status === 'pending_payment' && (
              <Link to={`${orderPath}/pay`} className="btn btn-primary btn-block">
                Pay now
              </Link>
            )}
            {scope === 'mine' && UNPAID.includes(order.status) && (
              <CancelAction order={order} onDone={() => refresh((b, a) => a.status !== b.status)} />
            )}
          </section>

          {scope === 'all' && isAdmin && (
            <AdminActions order={order} history={history} refresh={refresh} />
          )}
          {scope === 'all' && !isAdmin && <Notice>Support view: read-only.</Notice>}
        </aside>
      </div>
    </section>
  );
}

function Timeline({ entries, order, me }: { entries: HistoryEntry[]; order: Order; me: { id: Id } | null }) {
  if (entries.length === 0) return <EmptyState title="No events yet." />;
  const sorted = [...entries].sort((a, b) => a.version - b.version);
  return (
    <ol className="timeline">
      {sorted.map((e) => (
        <li key={`${e.version}-${e.type}`} className="timeline-item" data-testid="history-entry" data-type={e.type}>
          <div className="timeline-dot" aria-hidden="true" />
          <div className="timeline-body">
            <div className="timeline-head">
              <span className="event-type">{e.type}</span>
              <DateTime value={e.at} />
            </div>
            <p className="timeline-summary">{e.summary}</p>
            <p className="timeline-actor muted" title={e.actor}>
              by {actorLabel(e.actor, order, me)}
            </p>
          </div>
        </li>
      ))}
    </ol>
  );
}

function PaymentsTable({ rows }: { rows: PaymentEvent[] }) {
  if (rows.length === 0) return <EmptyState title="No payment events yet." />;
  const sorted = [...rows].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return (
    <div className="table-scroll">
      <table className="table">
        <caption className="sr-only">Payment events from Stripe and the shop</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Source</th>
            <th scope="col">Event</th>
            <th scope="col" className="num">Amount</th>
            <th scope="col">Summary</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((p, i) => (
            <tr
              key={`${p.source}-${p.ref}-${p.type}-${i}`}
              data-testid="payment-row"
              data-source={p.source}
              data-duplicate={p.duplicate ? 'true' : 'false'}
              className={p.duplicate ? 'duplicate' : undefined}
            >
              <td data-label="Time" className="payment-time">
                <DateTime value={p.at} />
              </td>
              <td data-label="Source">
                <span className={`badge source-${p.source}`}>{p.source}</span>
              </td>
              <td data-label="Event" className="nowrap" title={p.ref}>
                <span className="mono">{p.type}</span>
                {p.duplicate && (
                  <span className="badge badge-warning" title="Stripe delivered this event more than once; it was applied once">
                    duplicate
                  </span>
                )}
              </td>
              <td className="num" data-label="Amount">
                {p.amount != null && p.currency ? <Money amount={p.amount} currency={p.currency} /> : '—'}
              </td>
              <td data-label="Summary" className="payment-summary">
                {p.summary}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function CancelAction({ order, onDone }: { order: Order; onDone: () => Promise<void> }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function cancel() {
    setBusy(true);
    setError(null);
    try {
      await api.cancel(order.id);
      await onDone();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className="action">
      <ErrorMessage>{error}</ErrorMessage>
      <button type="button" className="btn btn-danger btn-block" disabled={busy} onClick={cancel}>
        {busy ? 'Cancelling…' : 'Cancel order'}
      </button>
    </div>
  );
}

function AdminActions({
  order,
  history,
  refresh,
}: {
  order: Order;
  history: HistoryEntry[];
  refresh: (changed?: (before: Order, after: Order) => boolean) => Promise<void>;
}) {
  const [refundText, setRefundText] = useState('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState<null | 'refund' | 'fulfil' | 'cancel'>(null);
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  // Requested refunds are reserved at once; amount_refunded follows Stripe's webhook later.
  const remaining = refundableAmount(order, history);
  const digits = currencyDigits(order.currency);
  // One Idempotency-Key per refund attempt: reused when the same amount is retried after a
  // network failure or server error, so Stripe is never asked twice for one refund.
  const refundAttempt = useRef<{ key: string; amount: number } | null>(null);

  async function run(kind: 'refund' | 'fulfil' | 'cancel', action: () => Promise<string>, changed: (b: Order, a: Order) => boolean) {
    setBusy(kind);
    setError(null);
    setMessage(null);
    try {
      const text = await action();
      setMessage(text);
      await refresh(changed);
    } catch (err) {
      setError(err instanceof MoneyParseError ? err.message : errorText(err));
    } finally {
      setBusy(null);
    }
  }

  function refund(e: FormEvent) {
    e.preventDefault();
    void run(
      'refund',
      async () => {
        const amount = parseMinorUnits(refundText, digits);
        if (amount <= 0) throw new MoneyParseError('The refund amount must be more than zero');
        if (amount > remaining) {
          throw new MoneyParseError(`At most ${formatMoney(remaining, order.currency)} can still be refunded`);
        }
        if (refundAttempt.current?.amount !== amount) refundAttempt.current = { key: newIdempotencyKey(), amount };
        try {
          await api.refund(order.id, amount, refundAttempt.current.key);
        } catch (err) {
          if (err instanceof ApiError && err.status >= 400 && err.status < 500) refundAttempt.current = null;
          throw err;
        }
        refundAttempt.current = null;
        setRefundText('');
        return `Refund of ${formatMoney(amount, order.currency)} sent to Stripe. The order is updated when Stripe confirms it.`;
      },
      (b, a) => a.amount_refunded !== b.amount_refunded || a.status !== b.status,
    );
  }

  function fulfil(e: FormEvent) {
    e.preventDefault();
    void run(
      'fulfil',
      async () => {
        await api.fulfil(order.id, note.trim() || undefined);
        setNote('');
        return 'Order marked as fulfilled.';
      },
      (b, a) => a.status !== b.status,
    );
  }

  function cancel() {
    void run(
      'cancel',
      async () => {
        await api.cancel(order.id);
        return 'Order cancelled.';
      },
      (b, a) => a.status !== b.status,
    );
  }

  const canRefund = REFUNDABLE.includes(order.status) && remaining > 0;
  const canFulfil = FULFILLABLE.includes(order.status);
  const canCancel = UNPAID.includes(order.status);

  return (
    <section className="card admin-actions" aria-labelledby="actions-title">
      <h2 id="actions-title">Actions</h2>
      <Notice tone="success">{message}</Notice>
      <ErrorMessage>{error}</ErrorMessage>

      {canRefund && (
        <form onSubmit={refund} className="action" noValidate>
          <div className="field">
            <label htmlFor="refund-amount">Refund amount ({order.currency})</label>
            <input
              id="refund-amount"
              inputMode="decimal"
              autoComplete="off"
              placeholder={digits ? `0.${'0'.repeat(digits)}` : '0'}
              aria-describedby="refund-hint"
              value={refundText}
              onChange={(e) => setRefundText(e.target.value)}
            />
            <p id="refund-hint" className="hint">
              Up to {formatMoney(remaining, order.currency)}.
            </p>
          </div>
          <button type="submit" className="btn btn-secondary btn-block" disabled={busy !== null || !refundText.trim()}>
            {busy === 'refund' ? 'Refunding…' : 'Refund'}
          </button>
        </form>
      )}

      {canFulfil && (
        <form onSubmit={fulfil} className="action">
          <div className="field">
            <label htmlFor="tracking-note">Tracking note (optional)</label>
            <input id="tracking-note" autoComplete="off" value={note} onChange={(e) => setNote(e.target.value)} />
          </div>
          <button type="submit" className="btn btn-primary btn-block" disabled={busy !== null}>
            {busy === 'fulfil' ? 'Fulfilling…' : 'Mark as fulfilled'}
          </button>
        </form>
      )}

      {canCancel && (
        <div className="action">
          <button type="button" className="btn btn-danger btn-block" disabled={busy !== null} onClick={cancel}>
            {busy === 'cancel' ? 'Cancelling…' : 'Cancel order'}
          </button>
        </div>
      )}

      {!canRefund && !canFulfil && !canCancel && (
        <p className="muted">No actions available for an order that is {statusLabel(order.status).toLowerCase()}.</p>
      )}
    </section>
  );
}
