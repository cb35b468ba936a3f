import { describe, expect, it } from 'vitest';
import { cartCount, setLineQuantity } from './cart';
import { apiServer as server, useBareFakeServer } from './test/fakeServer';

describe('setLineQuantity', () => {
  useBareFakeServer();

  it('sets the quantity with PUT /cart/{id} (0 removes)', async () => {
    server.on('PUT', '/cart/:id', (req) => ({ body: { product_id: req.params.id, ...(req.body as object) } }));
    await setLineQuantity('p1', 4);
    await setLineQuantity('p1', 0);
    expect(server.sent('PUT', '/cart/p1').map((c) => c.body)).toEqual([{ quantity: 4 }, { quantity: 0 }]);
  });

  it('passes errors on', async () => {
    server.on('PUT', '/cart/:id', { status: 422, body: { detail: 'quantity too large' } });
    await expect(setLineQuantity('p1', 5000)).rejects.toMatchObject({ status: 422 });
    expect(server.calls).toHaveLength(1);
  });
});

describe('cartCount', () => {
  it('uses the API count, else the sum of quantities', () => {
    expect(cartCount({ items: [], count: 7 })).toBe(7);
    expect(cartCount({ items: [{ quantity: 2 }, { quantity: 3 }] as never })).toBe(5);
  });
});
