import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from './api';
import { holdsStockAfter, refundableAmount, reservedRefunds } from './orderHelpers';

const entry = (type: string, data: Record<string, unknown>, version = 1): HistoryEntry => ({
  version,
  type,
  at: '2026-01-01T00:00:00Z',
  actor: 'system',
  summary: type,
  data,
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

describe('holdsStockAfter', () => {
  const history = [
    entry('OrderPlaced', {}, 1),
    entry('PaymentFailed', { reason: 'declined' }, 2),
    entry('ReservationReleased', {}, 3),
    entry('ReservationRenewed', { complete: false }, 4),
    entry('ReservationRenewed', { complete: true }, 5),
  ];
  it('follows releases and renewals up to the version', () => {
    expect([1, 2, 3, 4, 5].map((v) => holdsStockAfter(history, v))).toEqual([true, true, false, false, true]);
  });
});
