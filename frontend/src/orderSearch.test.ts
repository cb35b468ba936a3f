import { describe, expect, it } from 'vitest';
import { readOrderParams, toOrderQuery, searchOrders, writeOrderParams } from './orderSearch';
import { apiServer as server, useBareFakeServer } from './test/fakeServer';
import { order } from './test/fixtures';

const orders = [
  order({ id: 'aaaa1111-0000', total: 500, created_at: '2026-03-03T12:00:00Z', payment_intent_id: 'pi_AAA', customer: { username: 'ann', email: 'ann@x.io' } }),
  order({ id: 'bbbb2222-0000', total: 900, created_at: '2026-03-02T12:00:00Z', status: 'payment_failed', payment_intent_id: 'pi_BBB' }),
  order({ id: 'cccc3333-0000', total: 100, created_at: '2026-03-01T12:00:00Z', payment_intent_id: null }),
];

describe('order search', () => {
  it('keeps its state in the URL', () => {
    const p = readOrderParams(new URLSearchParams('q=ann&status=paid&from=2026-03-01&to=bad&sort=total_asc&page=2'));
    expect(p).toEqual({ q: 'ann', status: 'paid', dispute: '', from: '2026-03-01', to: '', sort: 'total_asc', page: 2 });
    expect(writeOrderParams({ ...p, page: 1, sort: 'newest' })).toEqual({ q: 'ann', status: 'paid', from: '2026-03-01' });
  });

  it('filters on disputes, ignoring unknown values', () => {
    expect(readOrderParams(new URLSearchParams('dispute=lost')).dispute).toBe('lost');
    expect(readOrderParams(new URLSearchParams('dispute=maybe')).dispute).toBe('');
    const p = readOrderParams(new URLSearchParams('status=needs_stock&dispute=lost'));
    expect(writeOrderParams(p)).toEqual({ status: 'needs_stock', dispute: 'lost' });
    expect(toOrderQuery(p, 20)).toMatchObject({ status: 'needs_stock', dispute: 'lost' });
  });

});

describe('searchOrders', () => {
  useBareFakeServer();

  it('sends the search to the server', async () => {
    server.on('GET', '/orders', { body: { items: [{ ...orders[0], number: 'AAAA1111' }], total: 1, limit: 20, offset: 0 } });
    const res = await searchOrders({ q: 'pi_AAA', status: 'paid', from: '2026-03-01', sort: 'total_asc', limit: 20, offset: 0 });
    expect(res.page.items.map((o) => o.id)).toEqual(['aaaa1111-0000']);
    expect(Object.fromEntries(server.calls[0].query)).toEqual({
      q: 'pi_AAA',
      status: 'paid',
      from: '2026-03-01',
      sort: 'total_asc',
      limit: '20',
      offset: '0',
    });
    expect(server.calls).toHaveLength(1);
  });
});
