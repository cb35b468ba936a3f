import { describe, expect, it } from 'vitest';
import { attentionReason, loadSummary } from './adminSummary';
import { apiServer as server, useBareFakeServer } from './test/fakeServer';
import { order } from './test/fixtures';

describe('attentionReason', () => {
  it('says why an order needs attention', () => {
    expect(attentionReason(order({ dispute: 'open' }))).toBe('Payment disputed');
    expect(attentionReason(order({ status: 'needs_stock' }))).toBe('Waiting for stock');
    expect(attentionReason(order({ status: 'paid' }))).toBe('Ready to ship');
    expect(attentionReason(order({ status: 'cancelled' }))).toBeNull();
  });
});

describe('loadSummary', () => {
  useBareFakeServer();

  it('reads the server’s summary', async () => {
    const stats = { orders: 1, revenue: [{ currency: 'EUR', amount: 500 }], by_status: { paid: 1 } };
    server.on('GET', '/admin/summary', {
      body: { today: stats, last_30_days: stats, daily: [], attention: [], projections: [], recent: [] },
    });
    const res = await loadSummary();
    expect(res.summary.today.orders).toBe(1);
    expect(server.calls).toHaveLength(1);
  });

  it('passes errors on', async () => {
    server.on('GET', '/admin/summary', { status: 403, body: { detail: 'admins only' } });
    await expect(loadSummary()).rejects.toMatchObject({ status: 403 });
  });
});
