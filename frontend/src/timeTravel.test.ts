import { describe, expect, it } from 'vitest';
import { changesBetween, orderAfter, snapshot } from './timeTravel';
import { apiServer as server, useBareFakeServer } from './test/fakeServer';
import { entry, OID, order } from './test/fixtures';

describe('orderAfter', () => {
  useBareFakeServer();

  it('asks for the version where the server knows it', async () => {
    server.on('GET', '/orders/:id', (req) => ({ body: order({ version: Number(req.query.get('version')) }) }));
    const o = await orderAfter(OID, entry(2, 'PaymentIntentCreated'));
    expect(o.version).toBe(2);
    expect(server.calls[0].query.get('version')).toBe('2');
  });

});

describe('changesBetween', () => {
  const history = [entry(1, 'OrderPlaced'), entry(2, 'PaymentFailed'), entry(3, 'ReservationReleased')];
  it('highlights what an event changed', () => {
    const before = snapshot(order({ status: 'payment_failed', version: 2 }), history, 2);
    const after = snapshot(order({ status: 'payment_failed', version: 3 }), history, 3);
    expect([...changesBetween(before, after).fields]).toEqual(['holds_stock']);
    const refunded = snapshot(order({ amount_refunded: 250, status: 'partially_refunded' }), [], 9);
    expect([...changesBetween(snapshot(order(), [], 8), refunded).fields].sort()).toEqual(['amount_refunded', 'status']);
  });

  it('marks everything as new after the first event', () => {
    const c = changesBetween(null, snapshot(order(), history, 1));
    expect(c.fields.has('status')).toBe(true);
    expect(c.lines.size).toBe(1);
  });

  it('prefers the API’s holds_stock when it sends one', () => {
    expect(snapshot(order({ holds_stock: false }), history, 1).holdsStock).toBe(false);
  });
});
