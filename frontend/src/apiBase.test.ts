// A storefront hosted on another origin (Netlify, Vercel) is built with VITE_API_BASE_URL:
// every request then goes to that origin; without it, to this page's own origin.
import { afterEach, describe, expect, it, vi } from 'vitest';

async function firstUrl(base: string | undefined): Promise<string> {
  vi.resetModules();
  if (base !== undefined) vi.stubEnv('VITE_API_BASE_URL', base);
  const fetchMock = vi.fn(
    async () => new Response('[]', { status: 200, headers: { 'Content-Type': 'application/json' } }),
  );
  vi.stubGlobal('fetch', fetchMock);
  const { request } = await import('./api');
  await request('/products', { query: { limit: 5 } });
  return String((fetchMock.mock.calls[0] as unknown[])[0]);
}

describe('API base URL', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.unstubAllGlobals();
  });

  it('uses the page origin by default', async () => {
    expect(await firstUrl(undefined)).toBe('/products?limit=5');
  });

  it('prefixes VITE_API_BASE_URL, without a doubled slash', async () => {
    expect(await firstUrl('https://api.example.com/')).toBe('https://api.example.com/products?limit=5');
  });
});
