import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetEventPositionForTests } from './api';
import { cartCount, resetCartCapabilityForTests, setLineQuantity } from './cart';
import { FakeServer } from './test/fakeServer';

describe('setLineQuantity', () => {
  let server: FakeServer;
  beforeEach(() => {
    resetEventPositionForTests();
    resetCartCapabilityForTests();
    server = new FakeServer();
    server.install();
  });
  afterEach(() => vi.unstubAllGlobals());

  it('sets the quantity with PUT /cart/{id} (0 removes)', async () => {
    server.on('PUT', '/cart/:id', (req) => ({ body: { product_id: req.params.id, ...(req.body as object) } }));
    await setLineQuantity('p1', 4, 2);
    await setLineQuantity('p1', 0, 4);
    expect(server.sent('PUT', '/cart/p1').map((c) => c.body)).toEqual([{ quantity: 4 }, { quantity: 0 }]);
  });

  it('uses the older commands where PUT is missing (405), and remembers that', async () => {
    server.on('PUT', '/cart/:id', { status: 405, body: { detail: 'Method Not Allowed' } });
    server.on('POST', '/cart', { status: 201, body: {} });
    server.on('DELETE', '/cart/:id', { status: 204 });
    await setLineQuantity('p1', 5, 2); // up: add the difference
    await setLineQuantity('p1', 1, 5); // down: remove, then add the new quantity
    await setLineQuantity('p1', 0, 1); // zero: remove
    const steps = server.calls.map((c) => `${c.method} ${c.path} ${c.body ? JSON.stringify(c.body) : ''}`.trim());
    expect(steps).toEqual([
      'PUT /cart/p1 {"quantity":5}',
      'POST /cart {"product_id":"p1","quantity":3}',
      'DELETE /cart/p1',
      'POST /cart {"product_id":"p1","quantity":1}',
      'DELETE /cart/p1',
    ]);
  });

  it('does not hide real errors behind the fallback', async () => {
    server.on('PUT', '/cart/:id', { status: 422, body: { detail: 'quantity too large' } });
    await expect(setLineQuantity('p1', 5000, 1)).rejects.toMatchObject({ status: 422 });
    expect(server.calls).toHaveLength(1);
  });
});

describe('cartCount', () => {
  it('uses the API count, else the sum of quantities', () => {
    expect(cartCount({ items: [], count: 7 })).toBe(7);
    expect(cartCount({ items: [{ quantity: 2 }, { quantity: 3 }] as never })).toBe(5);
  });
});
