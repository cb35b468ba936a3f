// Pure helpers for the order pages (unit-tested in orderHelpers.test.ts).
import type { Figures, HistoryEntry, Order } from './api';

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

/**
 * Whether the order held its reserved stock after the entry with `version`: reserved at
 * placing, released when a payment fails or the order is cancelled, reserved again (fully
 * or not) when a late payment arrives. Used where the API does not send `holds_stock`.
 */
export function holdsStockAfter(history: HistoryEntry[], version: number): boolean {
  let holds = true;
  for (const entry of [...history].sort((a, b) => a.version - b.version)) {
    if (entry.version > version) break;
    if (entry.type === 'ReservationReleased') holds = false;
    else if (entry.type === 'ReservationRenewed') holds = entry.data?.complete !== false;
  }
  return holds;
}

/** The order's figures for a receipt (orders placed before shipping and tax: the total only). */
export function orderFigures(order: Order): Figures {
  return {
    subtotal: order.subtotal ?? order.total,
    discount: order.discount ?? 0,
    shipping: order.shipping ?? 0,
    tax: order.tax ?? 0,
    total: order.total,
    currency: order.currency,
    tax_by_rate: order.tax_by_rate ?? [],
  };
}
