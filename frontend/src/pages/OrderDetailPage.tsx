import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, ApiError, errorText, newIdempotencyKey, type HistoryEntry, type Order, type PaymentEvent } from '../api';
import { useAuth } from '../auth';
import { useConfirm } from '../components/Dialog';
import { OrderTimeline, PaymentsTable } from '../components/OrderTimeline';
import { TimeTravel } from '../components/TimeTravel';
import { useToast } from '../components/Toasts';
import { AddressLines } from '../components/AddressForm';
import { OrderFigures } from '../components/OrderFigures';
import { BackLink, DateTime, ErrorMessage, Loading, Money, Notice, StatusBadge } from '../components/ui';
import { useLoader, useTitle } from '../hooks';
import { useLiveOrder } from '../liveOrder';
import { currencyDigits, formatMoney, MoneyParseError, parseMinorUnits } from '../money';
import { orderFigures, refundableAmount, reservedRefunds } from '../orderHelpers';
import { customerName, disputeLabel, orderTitle, STATUS_INFO, statusLabel } from '../orderWords';

interface Details {
  history: HistoryEntry[];
  payments: PaymentEvent[] | null;
  paymentsError: string | null;
}

const REFUNDABLE = ['paid', 'needs_stock', 'fulfilled', 'partially_refunded'];
const FULFILLABLE = ['paid', 'partially_refunded'];
const UNPAID = ['pending_payment', 'payment_failed'];

export function OrderDetailPage({ scope }: { scope: 'mine' | 'all' }) {
  const { id = '' } = useParams();
  const { isAdmin, user } = useAuth();
  const staff = scope === 'all';
  const live = useLiveOrder(id);
  const details = useLoader(async (signal): Promise<Details> => {
    const [history, payments] = await Promise.all([
      api.orderHistory(id, signal),
      staff
        ? api.orderPayments(id, signal).then(
            (r) => ({ items: r.items as PaymentEvent[] | null, error: null as string | null }),
            (err) => ({ items: null, error: errorText(err) }),
          )
        : Promise.resolve({ items: null, error: null }),
    ]);
    return { history: history.items, payments: payments.items, paymentsError: payments.error };
  }, [id, staff]);
  const order = live.order;
  useTitle(order ? orderTitle(order) : 'Order');

  // The order moved on (a webhook, a fulfilment, a refund): fetch its history again, once per version.
  const { reload } = details;
  const asked = useRef(0);
  const historyVersion = details.data ? Math.max(0, ...details.data.history.map((h) => h.version)) : null;
  useEffect(() => {
    if (!order || historyVersion === null) return;
    if (order.version > historyVersion && asked.current < order.version) {
      asked.current = order.version;
      void reload();
    }
  }, [order, historyVersion, reload]);

  const back = staff ? <BackLink to="/admin/orders">All orders</BackLink> : <BackLink to="/orders">My orders</BackLink>;
  if (!order && !live.error) return <Loading label="Loading order…" />;
  if (!order) {
    return (
      <section>
        {back}
        <h1>Order</h1>
        <ErrorMessage>{live.error}</ErrorMessage>
      </section>
    );
  }
  const history = details.data?.history ?? [];
  const orderPath = `/orders/${encodeURIComponent(String(order.id))}`;
  // Requested but not yet confirmed by Stripe's webhook.
  const pendingRefund = Math.max(0, reservedRefunds(history) - order.amount_refunded);
  const customer = customerName(order);
  const refresh = async () => {
    await Promise.all([live.refresh(), reload()]);
  };

  return (
    <section className="order-page" data-testid="order-page" data-order-id={String(order.id)}>
      {back}
      <div className="page-head">
        <h1 data-testid="order-title">{orderTitle(order)}</h1>
        <StatusBadge status={order.status} testId="order-status" />
      </div>
      {!staff && STATUS_INFO[order.status] && <p className="status-explain">{STATUS_INFO[order.status].explain}</p>}
      <ErrorMessage>{live.error}</ErrorMessage>

      <div className="order-grid">
        <div className="order-main">
          <div className="card table-card">
            <table className="table">
              <caption>Items</caption>
              <thead>
                <tr>
                  <th scope="col">Product</th>
                  <th scope="col" className="num">
                    Unit price
                  </th>
                  <th scope="col" className="num">
                    Quantity
                  </th>
                  <th scope="col" className="num">
                    Total
                  </th>
                </tr>
              </thead>
              <tbody>
                {order.lines.map((line) => (
                  <tr key={String(line.product_id)} data-testid="order-line">
                    <th scope="row" className="wrap">
                      {line.name}
                    </th>
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
            <h2 id="history-title">{staff ? 'History' : 'What happened'}</h2>
            <ErrorMessage>{details.error}</ErrorMessage>
            {details.data ? (
              <OrderTimeline entries={history} order={order} me={user} technical={staff} />
            ) : (
              !details.error && <Loading label="Loading history…" />
            )}
          </section>

          {staff && (
            <section className="card" aria-labelledby="payments-title">
              <h2 id="payments-title">Payment timeline</h2>
              <ErrorMessage>{details.data?.paymentsError}</ErrorMessage>
              {details.data?.payments && <PaymentsTable rows={details.data.payments} />}
            </section>
          )}

          {staff && history.length > 0 && <TimeTravel orderId={order.id} history={history} />}
        </div>

        <aside className="order-side">
          {order.subtotal !== undefined && (
            <section className="card" aria-labelledby="receipt-title" data-testid="receipt">
              <h2 id="receipt-title">Receipt</h2>
              <OrderFigures
                figures={orderFigures(order)}
                includesTax={order.prices_include_tax ?? true}
                discountCode={order.discount_code}
              />
              <span className="visually-hidden" data-testid="order-total">
                {formatMoney(order.total, order.currency)}
              </span>
              {order.shipping_method && (
                <p data-testid="order-shipping-method">
                  {order.shipping_method.name}, {order.shipping_method.min_days}–{order.shipping_method.max_days} days
                </p>
              )}
              {order.shipping_address && (
                <>
                  <h3>Shipping to</h3>
                  <AddressLines address={order.shipping_address} testId="order-shipping-address" />
                </>
              )}
              {order.billing_address && (
                <>
                  <h3>Billing address</h3>
                  <AddressLines address={order.billing_address} testId="order-billing-address" />
                </>
              )}
              <button type="button" className="btn btn-secondary no-print" onClick={() => window.print()}>
                {staff ? 'Print packing slip' : 'Print receipt'}
              </button>
            </section>
          )}
          <section className="card" aria-labelledby="summary-title">
            <h2 id="summary-title">Summary</h2>
            <dl className="totals">
              <dt>Status</dt>
              <dd>{statusLabel(order.status)}</dd>
              {order.subtotal === undefined && (
                <>
                  <dt>Total</dt>
                  <dd data-testid="order-total">
                    <Money amount={order.total} currency={order.currency} />
                  </dd>
                </>
              )}
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
                  <dd data-testid="order-dispute">
                    {disputeLabel(order.dispute)}
                    {order.dispute === 'won' && ' (closed)'}
                  </dd>
                </>
              )}
              {!!order.amount_lost && (
                <>
                  <dt>Money lost</dt>
                  <dd data-testid="order-money-lost" className="danger">
                    <Money amount={order.amount_lost} currency={order.currency} /> to a lost dispute
                  </dd>
                </>
              )}
              {order.tracking_note && (
                <>
                  <dt className="stacked">Tracking</dt>
                  <dd className="stacked wrap" data-testid="tracking-note">
                    {order.tracking_note}
                  </dd>
                </>
              )}
              {staff && (
                <>
                  <dt className="stacked">Customer</dt>
                  <dd className="stacked wrap" data-testid="order-customer">
                    {customer.name}
                    {customer.email && <span className="muted block">{customer.email}</span>}
                  </dd>
                  <dt className="stacked">Stripe payment</dt>
                  <dd className="stacked mono">{order.payment_intent_id ?? '—'}</dd>
                </>
              )}
            </dl>
            {!staff && order.status === 'pending_payment' && (
              <Link to={`${orderPath}/pay`} className="btn btn-primary btn-block">
                Pay now
              </Link>
            )}
            {!staff && order.status === 'payment_failed' && (
              <Link to={`${orderPath}/pay`} className="btn btn-primary btn-block">
                Try paying again
              </Link>
            )}
            {!staff && UNPAID.includes(order.status) && <CancelAction order={order} onDone={refresh} />}
          </section>

          {staff && isAdmin && <AdminActions order={order} history={history} refresh={refresh} />}
          {staff && !isAdmin && <Notice>Support view: read-only.</Notice>}
        </aside>
      </div>
    </section>
  );
}

function CancelAction({ order, onDone }: { order: Order; onDone: () => Promise<void> }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [confirm, dialog] = useConfirm();
  const toast = useToast();
  async function cancel() {
    const ok = await confirm({
      title: `Cancel ${orderTitle(order)}?`,
      body: <p>The order will not be paid and its items go back on the shelf. This cannot be undone.</p>,
      confirmLabel: 'Cancel order',
      cancelLabel: 'Keep order',
      danger: true,
    });
    if (!ok) return;
    setBusy(true);
    setError(null);
    try {
      await api.cancel(order.id);
      toast.show(`${orderTitle(order)} was cancelled.`);
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
      <button type="button" className="btn btn-secondary btn-block" disabled={busy} onClick={cancel}>
        {busy ? 'Cancelling…' : 'Cancel order'}
      </button>
      {dialog}
    </div>
  );
}

function AdminActions({ order, history, refresh }: { order: Order; history: HistoryEntry[]; refresh: () => Promise<void> }) {
  const [refundText, setRefundText] = useState('');
  const [refundError, setRefundError] = useState<string | null>(null);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState<null | 'refund' | 'fulfil' | 'cancel'>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirm, dialog] = useConfirm();
  const toast = useToast();
  // Requested refunds are reserved at once; amount_refunded follows Stripe's webhook later.
  const remaining = refundableAmount(order, history);
  const digits = currencyDigits(order.currency);
  // One Idempotency-Key per refund attempt: reused when the same amount is retried after a
  // network failure or server error, so Stripe is never asked twice for one refund.
  const refundAttempt = useRef<{ key: string; amount: number } | null>(null);
  const title = orderTitle(order);

  async function run(kind: 'refund' | 'fulfil' | 'cancel', action: () => Promise<string>) {
    setBusy(kind);
    setError(null);
    try {
      toast.show(await action());
      await refresh();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(null);
    }
  }

  async function refund(e: FormEvent) {
    e.preventDefault();
    setRefundError(null);
    let amount: number;
    try {
      amount = parseMinorUnits(refundText, digits);
      if (amount <= 0) throw new MoneyParseError('The refund amount must be more than zero.');
      if (amount > remaining) throw new MoneyParseError(`At most ${formatMoney(remaining, order.currency)} can still be refunded.`);
    } catch (err) {
      setRefundError(err instanceof MoneyParseError ? err.message : errorText(err));
      return;
    }
    const money = formatMoney(amount, order.currency);
    const ok = await confirm({
      title: `Refund ${money}?`,
      body: (
        <p>
          {money} of {title} goes back to the customer’s card through Stripe. This cannot be undone.
        </p>
      ),
      confirmLabel: `Refund ${money}`,
      danger: true,
    });
    if (!ok) return;
    await run('refund', async () => {
      if (refundAttempt.current?.amount !== amount) refundAttempt.current = { key: newIdempotencyKey(), amount };
      try {
        await api.refund(order.id, amount, refundAttempt.current.key);
      } catch (err) {
        if (err instanceof ApiError && err.status >= 400 && err.status < 500) refundAttempt.current = null;
        throw err;
      }
      refundAttempt.current = null;
      setRefundText('');
      return `Refund of ${money} sent to Stripe. The order is updated when Stripe confirms it.`;
    });
  }

  function fulfil(e: FormEvent) {
    e.preventDefault();
    void run('fulfil', async () => {
      await api.fulfil(order.id, note.trim() || undefined);
      setNote('');
      return `${title} is marked as shipped.`;
    });
  }

  async function cancel() {
    const ok = await confirm({
      title: `Cancel ${title}?`,
      body: <p>The customer can no longer pay for it and its items go back on the shelf. This cannot be undone.</p>,
      confirmLabel: 'Cancel order',
      cancelLabel: 'Keep order',
      danger: true,
    });
    if (!ok) return;
    await run('cancel', async () => {
      await api.cancel(order.id);
      return `${title} was cancelled.`;
    });
  }

  const canRefund = REFUNDABLE.includes(order.status) && remaining > 0;
  const canFulfil = FULFILLABLE.includes(order.status);
  const canCancel = UNPAID.includes(order.status);

  return (
    <section className="card admin-actions" aria-labelledby="actions-title">
      <h2 id="actions-title">Actions</h2>
      <ErrorMessage>{error}</ErrorMessage>

      {order.status === 'needs_stock' && (
        <p className="notice" data-testid="needs-stock-hint">
          Its items were sold while it was unpaid, so it cannot ship yet: restock the product (this order takes its
          items first) or refund it.
        </p>
      )}

      {canCancel && <PaymentLink order={order} />}

      {canFulfil && (
        <form onSubmit={fulfil} className="action">
          {order.shipping_address && (
            <div className="ship-to" data-testid="ship-to">
              <p className="muted">Ships to</p>
              <AddressLines address={order.shipping_address} />
              {order.shipping_method && <p className="muted">{order.shipping_method.name}</p>}
            </div>
          )}
          <div className="field">
            <label htmlFor="tracking-note">Tracking note (optional)</label>
            <input id="tracking-note" autoComplete="off" maxLength={500} value={note} onChange={(e) => setNote(e.target.value)} />
          </div>
          <button type="submit" className="btn btn-primary btn-block" disabled={busy !== null}>
            {busy === 'fulfil' ? 'Saving…' : 'Mark as shipped'}
          </button>
        </form>
      )}

      {canRefund && (
        <form onSubmit={refund} className="action" noValidate>
          <div className={refundError ? 'field field-invalid' : 'field'}>
            <label htmlFor="refund-amount">Refund amount ({order.currency})</label>
            <input
              id="refund-amount"
              inputMode="decimal"
              autoComplete="off"
              placeholder={digits ? `0.${'0'.repeat(digits)}` : '0'}
              aria-describedby={refundError ? 'refund-error refund-hint' : 'refund-hint'}
              aria-invalid={refundError ? true : undefined}
              value={refundText}
              onChange={(e) => setRefundText(e.target.value)}
            />
            {refundError && (
              <p id="refund-error" className="field-error">
                {refundError}
              </p>
            )}
            <p id="refund-hint" className="hint">
              Up to {formatMoney(remaining, order.currency)}.
            </p>
          </div>
          <button type="submit" className="btn btn-secondary btn-block" disabled={busy !== null || !refundText.trim()}>
            {busy === 'refund' ? 'Refunding…' : 'Refund'}
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
        <p className="muted">Nothing to do for an order that is {statusLabel(order.status).toLowerCase()}.</p>
      )}
      {dialog}
    </section>
  );
}

/** Staff copy a link the customer opens to pay this order (pending, or after a decline). */
function PaymentLink({ order }: { order: Order }) {
  const toast = useToast();
  const link = `${window.location.origin}/orders/${encodeURIComponent(String(order.id))}/pay`;
  async function copy() {
    try {
      await navigator.clipboard.writeText(link);
      toast.show('Payment link copied: send it to the customer.');
    } catch {
      toast.show('Copy the payment link from the box.', 'warning');
    }
  }
  return (
    <div className="action" data-testid="payment-link">
      <div className="field">
        <label htmlFor="payment-link">Payment link</label>
        <input id="payment-link" readOnly value={link} onFocus={(e) => e.target.select()} />
      </div>
      <button type="button" className="btn btn-secondary btn-block" onClick={copy}>
        Copy payment link
      </button>
    </div>
  );
}
