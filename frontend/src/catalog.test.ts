import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readCatalogParams, relevance, searchCatalog, searchLocally, toQuery, writeCatalogParams } from './catalog';
import { FakeServer } from './test/fakeServer';
import { product } from './test/fixtures';
import { resetEventPositionForTests } from './api';

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

describe('searchLocally', () => {
  it('matches every word, name hits first, and filters by price', () => {
    expect(searchLocally(catalog, { q: 'tea', limit: 10, offset: 0 }).map((p) => p.id)).toEqual(['a', 'b', 'c']);
    expect(relevance(catalog[2], 'tea mug')).toBeGreaterThan(0);
    expect(relevance(catalog[3], 'tea')).toBe(0);
    expect(searchLocally(catalog, { min_price: 800, max_price: 2000, limit: 10, offset: 0 }).map((p) => p.id)).toEqual(['a', 'b']);
  });

  it('sorts by price both ways, keeping the catalog order for ties', () => {
    expect(searchLocally(catalog, { sort: 'price_asc', limit: 10, offset: 0 }).map((p) => p.price)).toEqual([500, 899, 1999, 4550]);
    expect(searchLocally(catalog, { sort: 'price_desc', limit: 10, offset: 0 }).map((p) => p.price)).toEqual([4550, 1999, 899, 500]);
  });
});

describe('searchCatalog', () => {
  let server: FakeServer;
  beforeEach(() => {
    resetEventPositionForTests();
    server = new FakeServer();
    server.install();
  });
  afterEach(() => vi.unstubAllGlobals());

  it('lets a server with search do the search', async () => {
    server.on('GET', '/products', { body: { items: [{ ...catalog[1], images: [] }], total: 1, limit: 12, offset: 0 } });
    const res = await searchCatalog({ q: 'tea', sort: 'price_asc', min_price: 100, limit: 12, offset: 0 });
    expect(res.searchedBy).toBe('server');
    expect(res.modern).toBe(true);
    const sent = server.sent('GET', '/products')[0].query;
    expect(Object.fromEntries(sent)).toEqual({ q: 'tea', sort: 'price_asc', min_price: '100', limit: '12', offset: '0' });
  });

  it('searches in the browser when the server ignores the search (no images on products)', async () => {
    server.on('GET', '/products', (req) => {
      const offset = Number(req.query.get('offset'));
      return { body: { items: offset === 0 ? catalog : [], total: catalog.length, limit: 100, offset } };
    });
    const res = await searchCatalog({ q: 'tea', sort: 'price_asc', limit: 2, offset: 0 });
    expect(res.searchedBy).toBe('browser');
    expect(res.page.total).toBe(3);
    expect(res.page.items.map((p) => p.name)).toEqual(['Mug', 'Tea cosy']);
  });

  it('does not search in the browser when nothing was asked', async () => {
    server.on('GET', '/products', { body: { items: catalog, total: 4, limit: 12, offset: 0 } });
    const res = await searchCatalog({ sort: 'newest', limit: 12, offset: 0 });
    expect(res.searchedBy).toBe('server');
    expect(server.calls).toHaveLength(1);
  });
});
