// Time travel: the order as it stood after each of its events, and what each event changed.
import { api, type HistoryEntry, type Id, type Order } from './api';
import { holdsStockAfter } from './orderHelpers';

/** The order after `entry`: GET /orders/{id}?version=N. */
export function orderAfter(id: Id, entry: HistoryEntry, signal?: AbortSignal): Promise<Order> {
  return api.getOrderAtVersion(id, entry.version, signal);
}

export interface Snapshot {
  order: Order;
  holdsStock: boolean;
}

export function snapshot(order: Order, history: HistoryEntry[], version: number): Snapshot {
  return { order, holdsStock: typeof order.holds_stock === 'boolean' ? order.holds_stock : holdsStockAfter(history, version) };
}

export type Field = 'status' | 'total' | 'amount_refunded' | 'holds_stock' | 'tracking_note' | 'dispute' | 'payment_intent_id' | 'lines';

export interface Changes {
  fields: Set<Field>;
  /** Product ids of lines that are new or whose quantity or price changed. */
  lines: Set<string>;
}

/** What differs between the state before an event and after it (everything is new after the first). */
export function changesBetween(before: Snapshot | null, after: Snapshot): Changes {
  const fields = new Set<Field>();
  const lines = new Set<string>();
  const a = after.order;
  if (!before) {
    for (const line of a.lines) lines.add(String(line.product_id));
    (['status', 'total', 'holds_stock', 'lines'] as Field[]).forEach((f) => fields.add(f));
    if (a.amount_refunded) fields.add('amount_refunded');
    if (a.tracking_note) fields.add('tracking_note');
    if (a.dispute) fields.add('dispute');
    if (a.payment_intent_id) fields.add('payment_intent_id');
    return { fields, lines };
  }
  const b = before.order;
  if (b.status !== a.status) fields.add('status');
  if (b.total !== a.total) fields.add('total');
  if (b.amount_refunded !== a.amount_refunded) fields.add('amount_refunded');
  if (before.holdsStock !== after.holdsStock) fields.add('holds_stock');
  if ((b.tracking_note ?? '') !== (a.tracking_note ?? '')) fields.add('tracking_note');
  if ((b.dispute ?? null) !== (a.dispute ?? null)) fields.add('dispute');
  if ((b.payment_intent_id ?? null) !== (a.payment_intent_id ?? null)) fields.add('payment_intent_id');
  const old = new Map(b.lines.map((l) => [String(l.product_id), l]));
  for (const line of a.lines) {
    const prev = old.get(String(line.product_id));
    if (!prev || prev.quantity !== line.quantity || prev.unit_price !== line.unit_price) lines.add(String(line.product_id));
  }
  if (lines.size || b.lines.length !== a.lines.length) fields.add('lines');
  return { fields, lines };
}
