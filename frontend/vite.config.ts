import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import type { IncomingMessage } from 'node:http';

const BACKEND = process.env.SHOP_API_URL ?? 'http://127.0.0.1:8000';

// Every path the back end answers. Some of them (/cart, /orders, /login, ...) are
// also page paths of this single-page app: a browser navigation (Accept prefers
// text/html) gets index.html, everything else (the app's fetches send
// Accept: application/json) is proxied to the API.
const SPA_AND_API = [
  'register',
  'login',
  'logout',
  'protected',
  'products',
  'cart',
  'checkout',
  'orders',
  'me',
  'addresses',
  'shipping-methods',
  'admin',
  'config',
  'dev',
  'webhooks',
  'ping',
  'healthz',
];
// Paths that only exist on the back end (Swagger UI is HTML, so no bypass).
const API_ONLY = ['docs', 'redoc', 'openapi.json'];

function prefersHtml(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? '';
  const html = accept.indexOf('text/html');
  if (html === -1) return false;
  const json = accept.indexOf('application/json');
  return json === -1 || html < json;
}

const proxy = {
  [`^/(${SPA_AND_API.join('|')})(/.*)?(\\?.*)?$`]: {
    target: BACKEND,
    changeOrigin: false,
    bypass: (req: IncomingMessage) => (prefersHtml(req) ? '/index.html' : undefined),
  },
  [`^/(${API_ONLY.join('|').replace('.', '\\.')})(/.*)?(\\?.*)?$`]: {
    target: BACKEND,
    changeOrigin: false,
  },
};

export default defineConfig({
  plugins: [react()],
  server: { host: '127.0.0.1', port: 5173, proxy },
  preview: { host: '127.0.0.1', port: 4173, proxy },
  build: { outDir: 'dist', sourcemap: true },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    restoreMocks: true,
    // Waits are for conditions, with generous limits set in one place (src/test/setup.ts):
    // a test must pass on a machine busy with other work.
    setupFiles: ['src/test/setup.ts'],
    testTimeout: 60_000,
  },
});
