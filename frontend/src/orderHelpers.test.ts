import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from './api';
import { actorLabel, refundableAmount, reservedRefunds } from './orderHelpers';

const entry = (type: string, data: Record<string, unknown>, version = 1): HistoryEntry => ({
  version,
  type,
  at: '2026-01-01T00:00:00Z',
  actor: 'system',
  summary: type,
  data,
});

describe('actorLabel', () => {
  const order = { user_id: '11111111-1111-1111-1111-111111111111' };
  it('names the viewer, the customer, Stripe and the shop', () => {
    expect(actorLabel(order.user_id, order, { id: order.user_id })).toBe('you');
    expect(actorLabel(order.user_id, order, { id: 'someone-else' })).toBe('the customer');
    expect(actorLabel('stripe', order, null)).toBe('Stripe');
    expect(actorLabel('system', order, null)).toBe('the shop');
    expect(actorLabel('', order, null)).toBe('the shop');
  });
  it('shortens other staff ids', () => {
    expect(actorLabel('4faa28f4-7573-4c5c-b5f1-2bc6bc1d110b', order, null)).toBe('staff 4faa28f4');
  });
});

describe('refunds', () => {
  const history = [
    entry('OrderPlaced', { total: 4000 }),
    entry('RefundRequested', { refund_id: 'a', amount: 500 }, 5),
    entry('RefundSubmitted', { refund_id: 'a', stripe_refund_id: 're_1' }, 6),
    entry('RefundRequested', { refund_id: 'b', amount: 700 }, 7),
    entry('RefundFailed', { refund_id: 'b', reason: 'card closed' }, 8),
  ];
  it('counts requested refunds that did not fail', () => {
    expect(reservedRefunds(history)).toBe(500);
    expect(reservedRefunds([])).toBe(0);
  });
  it('leaves what neither the reservations nor the settled refunds took', () => {
    expect(refundableAmount({ total: 4000, amount_refunded: 0 }, history)).toBe(3500);
    expect(refundableAmount({ total: 4000, amount_refunded: 1000 }, history)).toBe(3000);
    expect(refundableAmount({ total: 400, amount_refunded: 0 }, history)).toBe(0);
  });
});
