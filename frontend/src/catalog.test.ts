import { describe, expect, it } from 'vitest';
import { readCatalogParams, searchCatalog, toQuery, writeCatalogParams } from './catalog';
import { apiServer as server, useBareFakeServer } from './test/fakeServer';
import { product } from './test/fixtures';

const catalog = [
  product({ id: 'a', name: 'Teapot', description: 'Short and stout', price: 1999 }),
  product({ id: 'b', name: 'Tea cosy', description: 'Wool', price: 899 }),
  product({ id: 'c', name: 'Mug', description: 'For tea', price: 500 }),
  product({ id: 'd', name: 'Kettle', description: 'Whistles', price: 4550 }),
];

describe('URL state', () => {
  it('reads defaults and writes only what differs', () => {
    const p = readCatalogParams(new URLSearchParams('q=tea&min_price=5&page=2'));
    expect(p).toEqual({ q: 'tea', sort: 'relevance', minPrice: '5', maxPrice: '', page: 2 });
    expect(writeCatalogParams(p)).toEqual({ q: 'tea', min_price: '5', page: '2' });
    expect(writeCatalogParams({ ...p, q: '', sort: 'price_asc', page: 1 })).toEqual({ sort: 'price_asc', min_price: '5' });
    expect(readCatalogParams(new URLSearchParams('sort=bogus&page=-3'))).toMatchObject({ sort: 'newest', page: 1 });
  });

  it('sends prices to the API in minor units', () => {
    const q = toQuery({ q: '', sort: 'newest', minPrice: '5', maxPrice: '12.50', page: 3 }, 2, 12);
    expect(q).toMatchObject({ min_price: 500, max_price: 1250, limit: 12, offset: 24 });
    expect(toQuery({ q: '', sort: 'newest', minPrice: 'abc', maxPrice: '', page: 1 }, 0, 12).min_price).toBeUndefined();
  });
});

describe('searchCatalog', () => {
  useBareFakeServer();

  it('lets the server search, rank, sort and filter', async () => {
    server.on('GET', '/products', { body: { items: [{ ...catalog[1], images: [] }], total: 1, limit: 12, offset: 0 } });
    const res = await searchCatalog({ q: 'tea', sort: 'price_asc', min_price: 100, limit: 12, offset: 0 });
    expect(res.page.items.map((p) => p.id)).toEqual(['b']);
    const sent = server.sent('GET', '/products')[0].query;
    expect(Object.fromEntries(sent)).toEqual({ q: 'tea', sort: 'price_asc', min_price: '100', limit: '12', offset: '0' });
    expect(server.calls).toHaveLength(1);
  });
});
