// Orders in words people use: status labels, short order numbers, customers, and each
// history entry told as what happened ("Payment received", "Refund of €2.50 sent") from its
// `type` and `data`. The API's technical names stay available to staff as details.
import type { HistoryEntry, Id, Order } from './api';
import { formatMoney } from './money';

export type Tone = 'neutral' | 'info' | 'success' | 'warning' | 'danger';

interface StatusInfo {
  label: string;
  tone: Tone;
  /** One sentence for the shopper. */
  explain: string;
}

export const STATUS_INFO: Record<string, StatusInfo> = {
  pending_payment: { label: 'Awaiting payment', tone: 'warning', explain: 'We are waiting for your payment.' },
  needs_stock: {
    label: 'Waiting for stock',
    tone: 'warning',
    explain: 'Paid; some items are out of stock and will ship once they are back.',
  },
  paid: { label: 'Paid', tone: 'success', explain: 'Payment received; we are preparing your order.' },
  fulfilled: { label: 'Shipped', tone: 'success', explain: 'Your order is on its way.' },
  payment_failed: {
    label: 'Payment failed',
    tone: 'danger',
    explain: 'The payment did not go through. You can try again with another card.',
  },
  cancelled: { label: 'Cancelled', tone: 'neutral', explain: 'This order was cancelled.' },
  partially_refunded: { label: 'Partly refunded', tone: 'info', explain: 'Part of the payment was refunded.' },
  refunded: { label: 'Refunded', tone: 'info', explain: 'The payment was refunded in full.' },
};

/** "pending_payment" → "Awaiting payment"; an unknown status in plain words ("on_hold" → "On hold"). */
export function statusLabel(status: string): string {
  return STATUS_INFO[status]?.label ?? humanize(status);
}

export function statusTone(status: string): Tone {
  return STATUS_INFO[status]?.tone ?? 'neutral';
}

/** "on_hold" / "OnHold" → "On hold". */
export function humanize(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_.-]+/g, ' ')
    .trim()
    .toLowerCase();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : '';
}

/** The short order number: the API's `number`, else the first 8 hex digits of the id, upper-cased. */
export function orderNumber(order: { id: Id; number?: string | null }): string {
  if (order.number) return String(order.number);
  const hex = String(order.id).replace(/-/g, '');
  return hex.slice(0, 8).toUpperCase();
}

/** "Order #1A2B3C4D" */
export function orderTitle(order: { id: Id; number?: string | null }): string {
  return `Order #${orderNumber(order)}`;
}

/** Who the customer is, for staff: username and email when the API sends them. */
export function customerName(order: Pick<Order, 'user_id' | 'customer'>): { name: string; email: string | null } {
  if (order.customer) return { name: order.customer.username, email: order.customer.email };
  return { name: `Customer ${String(order.user_id).replace(/-/g, '').slice(0, 8).toUpperCase()}`, email: null };
}

const DISPUTE_WORDS: Record<string, string> = {
  open: 'Open',
  won: 'Won',
  lost: 'Lost',
  needs_response: 'Needs a response',
  under_review: 'Under review',
  warning_closed: 'Closed (warning)',
};

export function disputeLabel(dispute: string): string {
  return DISPUTE_WORDS[dispute] ?? humanize(dispute);
}

// ---------------------------------------------------------------------------
// History entries in words

export interface EntryWords {
  title: string;
  detail?: string;
  tone: Tone;
  /** Shoppers do not need to see it (a raw provider message whose effect has its own entry). */
  staffOnly?: boolean;
}

const STRIPE_WORDS: Record<string, string> = {
  'payment_intent.succeeded': 'payment succeeded',
  'payment_intent.payment_failed': 'payment failed',
  'payment_intent.processing': 'payment processing',
  'payment_intent.canceled': 'payment cancelled',
  'payment_intent.created': 'payment started',
  'charge.refunded': 'charge refunded',
  'charge.dispute.created': 'dispute opened',
  'charge.dispute.closed': 'dispute closed',
  'refund.created': 'refund created',
  'refund.updated': 'refund updated',
  'refund.failed': 'refund failed',
};

function str(value: unknown): string | null {
  return typeof value === 'string' && value.trim() ? value.trim() : null;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : null;
}

function itemsWord(n: number): string {
  return `${n} item${n === 1 ? '' : 's'}`;
}

/** The amount a refund asked for, found on its RefundRequested entry. */
function refundAmount(refundId: string | null, history: HistoryEntry[]): number | null {
  if (!refundId) return null;
  const asked = history.find((h) => h.type === 'RefundRequested' && h.data?.refund_id === refundId);
  return asked ? num(asked.data.amount) : null;
}

/** A reason from the shop or Stripe, as a sentence ("payment failed" → "Payment failed."). */
function sentence(reason: string | null): string | undefined {
  if (!reason) return undefined;
  const text = reason.charAt(0).toUpperCase() + reason.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/**
 * What a history entry means, in plain words. `history` (the whole list) lets a later entry
 * name an amount recorded on an earlier one (a refund sent → the amount asked for).
 */
export function describeEntry(entry: HistoryEntry, currency: string, history: HistoryEntry[] = []): EntryWords {
  const d = entry.data ?? {};
  const cur = str(d.currency) ?? currency;
  const money = (amount: number | null) => (amount === null ? null : formatMoney(amount, cur));
  switch (entry.type) {
    case 'OrderPlaced': {
      const lines = Array.isArray(d.lines) ? (d.lines as { quantity?: unknown }[]) : [];
      const count = lines.reduce((n, l) => n + (num(l?.quantity) ?? 0), 0);
      const total = money(num(d.total));
      return {
        title: 'Order placed',
        detail: [count ? itemsWord(count) : null, total ? `total ${total}` : null].filter(Boolean).join(', ') || undefined,
        tone: 'info',
      };
    }
    case 'PaymentIntentCreated':
      return { title: 'Waiting for payment', detail: money(num(d.amount)) ? `${money(num(d.amount))} due` : undefined, tone: 'neutral' };
    case 'StripeEventReceived': {
      const kind = str(d.stripe_type) ?? '';
      return {
        title: `Update from Stripe: ${STRIPE_WORDS[kind] ?? humanize(kind).toLowerCase()}`,
        tone: 'neutral',
        staffOnly: true,
      };
    }
    case 'PaymentProcessing':
      return { title: 'Payment is being processed', tone: 'info' };
    case 'PaymentSucceeded': {
      const amount = money(num(d.amount));
      return { title: 'Payment received', detail: amount ?? undefined, tone: 'success' };
    }
    case 'PaymentFailed':
      return { title: 'Payment failed', detail: sentence(str(d.reason)), tone: 'danger' };
    case 'OrderCancelled':
      return { title: 'Order cancelled', detail: sentence(str(d.reason)), tone: 'neutral' };
    case 'ReservationReleased':
      return { title: 'Reserved items released', detail: 'The items went back on the shelf.', tone: 'neutral' };
    case 'ReservationRenewed':
      return d.complete === false
        ? { title: 'Waiting for stock', detail: 'Its items were sold meanwhile; it ships once they are restocked.', tone: 'warning' }
        : { title: 'Items reserved again', tone: 'info' };
    case 'RefundRequested': {
      const amount = money(num(d.amount));
      return { title: amount ? `Refund of ${amount} requested` : 'Refund requested', tone: 'info' };
    }
    case 'RefundSubmitted': {
      const amount = money(refundAmount(str(d.refund_id), history));
      return { title: amount ? `Refund of ${amount} sent` : 'Refund sent', tone: 'info' };
    }
    case 'RefundOutcomeUnknown': {
      const amount = money(refundAmount(str(d.refund_id), history));
      return {
        title: amount ? `Refund of ${amount} awaiting confirmation` : 'Refund awaiting confirmation',
        tone: 'warning',
      };
    }
    case 'RefundFailed': {
      const amount = money(refundAmount(str(d.refund_id), history));
      return { title: amount ? `Refund of ${amount} failed` : 'Refund failed', detail: sentence(str(d.reason)), tone: 'danger' };
    }
    case 'RefundSettled': {
      const amount = money(num(d.amount_refunded));
      return { title: 'Refund completed', detail: amount ? `${amount} refunded in total` : undefined, tone: 'success' };
    }
    case 'DisputeOpened': {
      const amount = money(num(d.amount));
      return { title: amount ? `Payment of ${amount} disputed` : 'Payment disputed', detail: sentence(str(d.reason)), tone: 'danger' };
    }
    case 'DisputeClosed': {
      const outcome = str(d.outcome);
      const amount = money(num(d.amount));
      if (outcome === 'lost') {
        return { title: amount ? `Dispute lost: ${amount} lost` : 'Dispute lost', detail: 'The money went back to the card holder.', tone: 'danger' };
      }
      return { title: 'Dispute closed', detail: outcome ? `Outcome: ${disputeLabel(outcome).toLowerCase()}.` : undefined, tone: 'info' };
    }
    case 'OrderFulfilled': {
      const note = str(d.tracking_note);
      return { title: 'Shipped', detail: note ? `Tracking: ${note}` : undefined, tone: 'success' };
    }
    default:
      return { title: humanize(entry.type) || 'Updated', tone: 'neutral' };
  }
}

/** Who did it, in words: history actors are user ids, or "stripe" / "system". */
export function actorLabel(actor: string, order: { user_id: Id }, me: { id: Id } | null): string {
  if (!actor || actor === 'system') return 'the shop';
  if (me && actor === String(me.id)) return 'you';
  if (actor === String(order.user_id)) return 'the customer';
  if (actor === 'stripe') return 'Stripe';
  if (actor === 'reconciliation') return 'reconciliation with Stripe';
  return /^[0-9a-f-]{32,36}$/i.test(actor) ? 'the shop team' : actor;
}

/** Technical ids found in an entry's data (Stripe objects, refunds), for the staff detail. */
export function technicalIds(entry: HistoryEntry): [string, string][] {
  const keys = ['payment_intent_id', 'stripe_event_id', 'stripe_object_id', 'stripe_refund_id', 'refund_id', 'dispute_id'];
  const out: [string, string][] = [];
  for (const key of keys) {
    const value = str(entry.data?.[key]);
    if (value) out.push([key, value]);
  }
  return out;
}
