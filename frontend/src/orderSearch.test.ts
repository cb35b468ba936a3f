import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetEventPositionForTests } from './api';
import { orderMatches, readOrderParams, searchOrders, searchOrdersLocally, writeOrderParams } from './orderSearch';
import { FakeServer } from './test/fakeServer';
import { order } from './test/fixtures';

const orders = [
  order({ id: 'aaaa1111-0000', total: 500, created_at: '2026-03-03T12:00:00Z', payment_intent_id: 'pi_AAA', customer: { username: 'ann', email: 'ann@x.io' } }),
  order({ id: 'bbbb2222-0000', total: 900, created_at: '2026-03-02T12:00:00Z', status: 'payment_failed', payment_intent_id: 'pi_BBB' }),
  order({ id: 'cccc3333-0000', total: 100, created_at: '2026-03-01T12:00:00Z', payment_intent_id: null }),
];

describe('order search', () => {
  it('keeps its state in the URL', () => {
    const p = readOrderParams(new URLSearchParams('q=ann&status=paid&from=2026-03-01&to=bad&sort=total_asc&page=2'));
    expect(p).toEqual({ q: 'ann', status: 'paid', from: '2026-03-01', to: '', sort: 'total_asc', page: 2 });
    expect(writeOrderParams({ ...p, page: 1, sort: 'newest' })).toEqual({ q: 'ann', status: 'paid', from: '2026-03-01' });
  });

  it('matches order numbers, ids, PaymentIntent ids and customers', () => {
    expect(orderMatches(orders[0], '#AAAA')).toBe(true);
    expect(orderMatches(orders[0], 'pi_aaa')).toBe(true);
    expect(orderMatches(orders[0], 'ANN@X')).toBe(true);
    expect(orderMatches(orders[1], 'ann')).toBe(false);
  });

  it('filters by status and dates and sorts in the browser', () => {
    const found = searchOrdersLocally(orders, { from: '2026-03-02', sort: 'total_asc', limit: 20, offset: 0 });
    expect(found.map((o) => o.total)).toEqual([500, 900]);
    expect(searchOrdersLocally(orders, { sort: 'oldest', limit: 20, offset: 0 }).map((o) => o.total)).toEqual([100, 900, 500]);
    expect(searchOrdersLocally(orders, { status: 'payment_failed', limit: 20, offset: 0 })).toHaveLength(1);
  });
});

describe('searchOrders', () => {
  let server: FakeServer;
  beforeEach(() => {
    resetEventPositionForTests();
    server = new FakeServer();
    server.install();
  });
  afterEach(() => vi.unstubAllGlobals());

  it('uses the server’s search when its orders carry numbers', async () => {
    server.on('GET', '/orders', { body: { items: [{ ...orders[0], number: '1001' }], total: 1, limit: 20, offset: 0 } });
    const res = await searchOrders({ q: 'pi_AAA', sort: 'newest', limit: 20, offset: 0 });
    expect(res.searchedBy).toBe('server');
    expect(server.calls[0].query.get('q')).toBe('pi_AAA');
  });

  it('searches in the browser on an older server', async () => {
    server.on('GET', '/orders', { body: { items: orders, total: 3, limit: 100, offset: 0 } });
    const res = await searchOrders({ q: 'pi_BBB', limit: 20, offset: 0 });
    expect(res.searchedBy).toBe('browser');
    expect(res.page.items.map((o) => o.id)).toEqual(['bbbb2222-0000']);
  });

  it('finds nothing for a status an older server does not know (instead of an error)', async () => {
    server.on('GET', '/orders', { status: 422, body: { detail: 'status must be one of …' } });
    const res = await searchOrders({ status: 'needs_stock', limit: 20, offset: 0 });
    expect(res.page.total).toBe(0);
  });
});
