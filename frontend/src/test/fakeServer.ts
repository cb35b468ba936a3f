// A stand-in for the shop's HTTP API at the fetch boundary (component tests only): routes by
// method and path pattern; anything unrouted answers FastAPI's bare 404 "Not Found", like a
// server that lacks the route.
import { afterEach, beforeEach, vi } from 'vitest';
import { resetEventPositionForTests } from '../api';

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
  params: Record<string, string>;
  signal?: AbortSignal | null;
}

export type FakeReply = { status?: number; body?: unknown; headers?: Record<string, string> } | Response;
type Handler = (req: FakeRequest) => FakeReply | Promise<FakeReply>;

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: Handler;
}

export class FakeServer {
  routes: Route[] = [];
  calls: FakeRequest[] = [];

  on(method: string, path: string, handler: Handler | FakeReply): this {
    const names: string[] = [];
    const pattern = new RegExp(
      '^' +
        path.replace(/:([a-z_]+)/gi, (_, name: string) => {
          names.push(name);
          return '([^/]+)';
        }) +
        '$',
    );
    const h: Handler = typeof handler === 'function' ? handler : () => handler;
    // Later routes win, so a test can override a default.
    this.routes.unshift({ method, pattern, names, handler: h });
    return this;
  }

  /** Calls that match method and path (exact path, query ignored). */
  sent(method: string, path: string | RegExp): FakeRequest[] {
    return this.calls.filter((c) => c.method === method && (typeof path === 'string' ? c.path === path : path.test(c.path)));
  }

  install(): void {
    vi.stubGlobal('fetch', vi.fn((input: RequestInfo | URL, init: RequestInit = {}) => this.handle(input, init)));
  }

  async handle(input: RequestInfo | URL, init: RequestInit): Promise<Response> {
    const url = new URL(String(input), 'http://shop.test');
    const method = (init.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => {
      headers[k] = v;
    });
    let body: unknown = init.body;
    if (typeof init.body === 'string') {
      try {
        body = JSON.parse(init.body);
      } catch {
        body = init.body;
      }
    }
    const req: FakeRequest = { method, path: url.pathname, query: url.searchParams, headers, body, params: {}, signal: init.signal };
    this.calls.push(req);
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.pattern.exec(url.pathname);
      if (!m) continue;
      route.names.forEach((n, i) => (req.params[n] = decodeURIComponent(m[i + 1])));
      const reply = await route.handler(req);
      if (reply instanceof Response) return reply;
      const status = reply.status ?? 200;
      return new Response(reply.body === undefined || status === 204 ? null : JSON.stringify(reply.body), {
        status,
        headers: { 'Content-Type': 'application/json', ...reply.headers },
      });
    }
    return new Response(JSON.stringify({ detail: 'Not Found' }), { status: 404, headers: { 'Content-Type': 'application/json' } });
  }
}

/** An event stream the test writes to: `push(order)` sends an `event: order`. */
export function eventStream(): { response: Response; push: (data: unknown) => void; comment: (text: string) => void; close: () => void } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  const enc = new TextEncoder();
  return {
    response: new Response(stream, { status: 200, headers: { 'Content-Type': 'text/event-stream' } }),
    push: (data) => controller.enqueue(enc.encode(`event: order\ndata: ${JSON.stringify(data)}\n\n`)),
    comment: (text) => controller.enqueue(enc.encode(`: ${text}\n\n`)),
    close: () => controller.close(),
  };
}

/** The current test's server, after useBareFakeServer() (a live binding: read it in tests). */
export let apiServer: FakeServer;

/** Per-test set-up for the API helpers' tests: a fresh FakeServer as `fetch`, nothing routed. */
export function useBareFakeServer(): void {
  beforeEach(() => {
    resetEventPositionForTests();
    apiServer = new FakeServer();
    apiServer.install();
  });
  afterEach(() => vi.unstubAllGlobals());
}
