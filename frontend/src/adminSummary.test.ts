import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetEventPositionForTests } from './api';
import { attentionReason, loadSummary, summarizeOrders } from './adminSummary';
import { FakeServer } from './test/fakeServer';
import { order } from './test/fixtures';

const now = new Date(2026, 2, 10, 15, 0, 0);
const at = (daysAgo: number) => new Date(2026, 2, 10 - daysAgo, 9, 0, 0).toISOString();

describe('summarizeOrders', () => {
  it('counts today and the last 30 days by status, with net revenue per currency', () => {
    const s = summarizeOrders(
      [
        order({ id: '1', created_at: at(0), status: 'paid', total: 1000 }),
        order({ id: '2', created_at: at(0), status: 'pending_payment', total: 700 }),
        order({ id: '3', created_at: at(3), status: 'partially_refunded', total: 2000, amount_refunded: 500 }),
        order({ id: '4', created_at: at(5), status: 'fulfilled', total: 300, currency: 'USD' }),
        order({ id: '5', created_at: at(40), status: 'paid', total: 9999 }),
      ],
      now,
    );
    expect(s.today).toEqual({ orders: 2, revenue: [{ currency: 'EUR', amount: 1000 }], by_status: { paid: 1, pending_payment: 1 } });
    expect(s.last_30_days.orders).toBe(4);
    expect(s.last_30_days.revenue).toEqual([
      { currency: 'EUR', amount: 2500 },
      { currency: 'USD', amount: 300 },
    ]);
    expect(s.daily).toHaveLength(30);
    expect(s.daily[29]).toMatchObject({ orders: 2 });
    expect(s.daily[26]).toMatchObject({ orders: 1 });
    expect(s.attention.map((o) => o.id)).toEqual(['1', '3', '5']);
  });

  it('says why an order needs attention', () => {
    expect(attentionReason(order({ dispute: 'open' }))).toBe('Payment disputed');
    expect(attentionReason(order({ status: 'needs_stock' }))).toBe('Waiting for stock');
    expect(attentionReason(order({ status: 'cancelled' }))).toBeNull();
  });
});

describe('loadSummary', () => {
  let server: FakeServer;
  beforeEach(() => {
    resetEventPositionForTests();
    server = new FakeServer();
    server.install();
  });
  afterEach(() => vi.unstubAllGlobals());

  it('computes the summary from the orders where the server has none', async () => {
    server.on('GET', '/orders', { body: { items: [order({ created_at: new Date().toISOString() })], total: 1, limit: 100, offset: 0 } });
    const res = await loadSummary();
    expect(res.source).toBe('browser');
    expect(res.summary.today.orders).toBe(1);
  });

  it('passes other errors on', async () => {
    server.on('GET', '/admin/summary', { status: 403, body: { detail: 'admins only' } });
    await expect(loadSummary()).rejects.toMatchObject({ status: 403 });
  });
});
