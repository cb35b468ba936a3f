// Pure helpers for the order pages (unit-tested in orderHelpers.test.ts).
import type { HistoryEntry, Id, Order } from './api';

/** Who did it, in words: history actors are user ids, or "stripe" / "system". */
export function actorLabel(actor: string, order: { user_id: Id }, me: { id: Id } | null): string {
  if (!actor) return 'the shop';
  if (me && actor === String(me.id)) return 'you';
  if (actor === String(order.user_id)) return 'the customer';
  if (actor === 'stripe') return 'Stripe';
  if (actor === 'system') return 'the shop';
  return /^[0-9a-f-]{32,36}$/i.test(actor) ? `staff ${actor.slice(0, 8)}` : actor;
}

/**
 * Minor units reserved by refunds that were requested and have not failed. The back end
 * reserves a refund's amount when it is requested, before Stripe confirms it, and the order
 * view's `amount_refunded` only moves when Stripe's refund webhook arrives.
 */
export function reservedRefunds(history: HistoryEntry[]): number {
  const requested = new Map<string, number>();
  const failed = new Set<string>();
  for (const entry of history) {
    const refundId = typeof entry.data?.refund_id === 'string' ? entry.data.refund_id : null;
    if (!refundId) continue;
    if (entry.type === 'RefundRequested' && typeof entry.data.amount === 'number') {
      requested.set(refundId, entry.data.amount);
    } else if (entry.type === 'RefundFailed') {
      failed.add(refundId);
    }
  }
  let total = 0;
  for (const [refundId, amount] of requested) if (!failed.has(refundId)) total += amount;
  return total;
}

/** What can still be refunded, as the back end computes it. */
export function refundableAmount(order: Pick<Order, 'total' | 'amount_refunded'>, history: HistoryEntry[]): number {
  return Math.max(0, order.total - Math.max(reservedRefunds(history), order.amount_refunded));
}
