import type { HistoryEntry, Id, Order, PaymentEvent } from '../api';
import { actorLabel, describeEntry, technicalIds } from '../orderWords';
import { DateTime, EmptyState, Money } from './ui';

/**
 * What happened to an order, oldest first, in plain words. Staff (`technical`) also see the
 * provider's own messages and can open each entry's technical detail (event type, Stripe ids).
 */
export function OrderTimeline({
  entries,
  order,
  me,
  technical,
}: {
  entries: HistoryEntry[];
  order: Order;
  me: { id: Id } | null;
  technical: boolean;
}) {
  const sorted = [...entries].sort((a, b) => a.version - b.version);
  const shown = sorted.filter((e) => technical || !describeEntry(e, order.currency, sorted).staffOnly);
  if (shown.length === 0) return <EmptyState title="Nothing has happened yet." />;
  return (
    <ol className="timeline">
      {shown.map((e) => {
        const words = describeEntry(e, order.currency, sorted);
        const source = e.source ?? (e.actor === 'stripe' ? 'stripe' : 'shop');
        return (
          <li
            key={`${e.version}-${e.type}`}
            className={`timeline-item tone-${words.tone}`}
            data-testid="history-entry"
            data-type={e.type}
          >
            <div className="timeline-dot" aria-hidden="true" />
            <div className="timeline-body">
              <div className="timeline-head">
                <span className="timeline-title">{words.title}</span>
                <DateTime value={e.at} />
              </div>
              {words.detail && <p className="timeline-detail">{words.detail}</p>}
              <p className="timeline-actor muted">
                by {actorLabel(e.actor, order, me)}
                {source === 'reconciliation' && (
                  <span className="badge tone-info" title="Added when the shop checked the payment with Stripe">
                    reconciliation
                  </span>
                )}
              </p>
              {technical && (
                <details className="tech">
                  <summary>Technical detail</summary>
                  <dl className="tech-list">
                    <dt>Event</dt>
                    <dd className="mono">{e.type}</dd>
                    <dt>Step</dt>
                    <dd>{e.version}</dd>
                    <dt>Source</dt>
                    <dd>{source}</dd>
                    <dt>Actor</dt>
                    <dd className="mono">{e.actor}</dd>
                    {technicalIds(e).map(([k, v]) => (
                      <div key={k} className="tech-row">
                        <dt>{k}</dt>
                        <dd className="mono">{v}</dd>
                      </div>
                    ))}
                    <dt>Recorded as</dt>
                    <dd>{e.summary}</dd>
                  </dl>
                </details>
              )}
            </div>
          </li>
        );
      })}
    </ol>
  );
}

const PAYMENT_WORDS: Record<string, string> = {
  PaymentIntentCreated: 'Payment opened at Stripe',
  RefundRequested: 'Refund requested',
  RefundSubmitted: 'Refund sent to Stripe',
  RefundFailed: 'Refund failed',
  RefundOutcomeUnknown: 'Refund outcome unknown',
  OrderCancelled: 'Order cancelled',
  'payment_intent.succeeded': 'Payment succeeded',
  'payment_intent.payment_failed': 'Payment failed',
  'payment_intent.processing': 'Payment processing',
  'payment_intent.canceled': 'Payment cancelled',
  'charge.refunded': 'Charge refunded',
  'charge.dispute.created': 'Dispute opened',
  'charge.dispute.closed': 'Dispute closed',
};

/** The payment timeline for staff: Stripe's deliveries and the shop's payment commands. */
export function PaymentsTable({ rows }: { rows: PaymentEvent[] }) {
  if (rows.length === 0) return <EmptyState title="No payment events yet." />;
  const sorted = [...rows].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return (
    <div className="table-scroll">
      <table className="table payments stack-sm">
        <caption className="sr-only">Payment events from Stripe and the shop</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Source</th>
            <th scope="col">What</th>
            <th scope="col" className="num">
              Amount
            </th>
            <th scope="col">Reference</th>
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
              <td className="payment-time" data-label="Time">
                <DateTime value={p.at} />
              </td>
              <td data-label="Source">
                <span className={`badge source-${p.source}`}>{p.source === 'reconciliation' ? 'reconciliation' : p.source}</span>
              </td>
              <td className="payment-what" data-label="What">
                {PAYMENT_WORDS[p.type] ?? p.type}
                {p.duplicate && (
                  <span className="badge tone-warning" title="Stripe delivered this event more than once; it was applied once">
                    duplicate
                  </span>
                )}
                <div className="mono muted small">{p.type}</div>
              </td>
              <td className="num" data-label="Amount">{p.amount != null && p.currency ? <Money amount={p.amount} currency={p.currency} /> : '—'}</td>
              <td className="payment-ref mono small" data-label="Reference">{p.ref}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
