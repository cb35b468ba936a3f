import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  api,
  ApiError,
  apiSettings,
  detailToMessage,
  clearToken,
  getEventPosition,
  getToken,
  newIdempotencyKey,
  noteEventPosition,
  onUnauthorized,
  POSITION_KEY,
  request,
  resetEventPositionForTests,
  setToken,
} from './api';

type Call = { url: string; init: RequestInit; headers: Record<string, string> };

let calls: Call[];
let responses: Array<Response | Error>;
const fetchMock = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((value, key) => {
    headers[key] = value;
  });
  calls.push({ url: String(input), init, headers });
  const next = responses.shift();
  if (!next) throw new Error('no response queued');
  if (next instanceof Error) throw next;
  return next;
});

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

const sleepMock = vi.fn(async (_ms: number) => undefined);
const realSleep = apiSettings.sleep;

beforeEach(() => {
  calls = [];
  responses = [];
  localStorage.clear();
  sessionStorage.clear();
  clearToken();
  resetEventPositionForTests();
  fetchMock.mockClear();
  sleepMock.mockClear();
  vi.stubGlobal('fetch', fetchMock);
  apiSettings.sleep = sleepMock;
});

afterEach(() => {
  vi.unstubAllGlobals();
  apiSettings.sleep = realSleep;
});

describe('headers', () => {
  it('always asks for JSON and sends the bearer token', async () => {
    setToken('tok-1');
    responses.push(json(200, { id: 1, username: 'ann', email: 'a@x.io', role: 'shopper' }));
    const me = await api.me();
    expect(me.username).toBe('ann');
    expect(calls[0].url).toBe('/protected');
    expect(calls[0].headers.accept).toBe('application/json');
    expect(calls[0].headers.authorization).toBe('Bearer tok-1');
    expect(calls[0].headers['content-type']).toBeUndefined();
  });

  it('sends JSON bodies with Content-Type and no token for login', async () => {
    setToken('stale');
    responses.push(json(200, { access_token: 'new', token_type: 'bearer', expires_in: 3600 }));
    await api.login({ username: 'ann', password: 'secret123' });
    expect(calls[0].init.method).toBe('POST');
    expect(calls[0].headers['content-type']).toBe('application/json');
    expect(calls[0].headers.accept).toBe('application/json');
    expect(calls[0].headers.authorization).toBeUndefined();
    expect(JSON.parse(String(calls[0].init.body))).toEqual({ username: 'ann', password: 'secret123' });
  });

  it('builds query strings and skips empty values', async () => {
    responses.push(json(200, { items: [], total: 0, limit: 20, offset: 40 }));
    await api.listOrders({ status: undefined, limit: 20, offset: 40 });
    expect(calls[0].url).toBe('/orders?limit=20&offset=40');
    responses.push(json(200, { items: [], total: 0, limit: 20, offset: 0 }));
    await api.listOrders({ status: 'paid', limit: 20, offset: 0 });
    expect(calls[1].url).toBe('/orders?status=paid&limit=20&offset=0');
  });

  it('sends If-Match with the quoted version and an Idempotency-Key on checkout', async () => {
    responses.push(json(200, { id: 'p1', version: 4 }));
    await api.updateProduct('p1', { name: 'A', description: '', price: 100, stock: 1 }, 3);
    expect(calls[0].init.method).toBe('PUT');
    expect(calls[0].headers['if-match']).toBe('"3"');

    responses.push(json(201, { order_id: 'o1', client_secret: 'cs', payment_intent_id: 'pi', amount: 1, currency: 'EUR', status: 'pending_payment' }));
    await api.checkout('key-123');
    expect(calls[1].url).toBe('/checkout');
    expect(calls[1].headers['idempotency-key']).toBe('key-123');
  });

  it('encodes path segments', async () => {
    responses.push(new Response(null, { status: 204 }));
    await api.removeFromCart('a/b c');
    expect(calls[0].url).toBe('/cart/a%2Fb%20c');
    expect(calls[0].init.method).toBe('DELETE');
  });
});

describe('read-your-writes positions', () => {
  it('keeps the highest X-Event-Position and echoes it on GETs only', async () => {
    setToken('t');
    responses.push(json(201, { product_id: 1, quantity: 1 }, { 'X-Event-Position': '41' }));
    await api.addToCart(1, 1);
    expect(calls[0].headers['x-event-position']).toBeUndefined();
    expect(getEventPosition()).toBe(41);
    expect(sessionStorage.getItem(POSITION_KEY)).toBe('41');

    responses.push(json(201, { product_id: 2, quantity: 1 }, { 'X-Event-Position': '12' }));
    await api.addToCart(2, 1);
    expect(calls[1].headers['x-event-position']).toBeUndefined();
    expect(getEventPosition()).toBe(41); // lower positions never win

    responses.push(json(200, { items: [], total: 0, currency: 'EUR' }));
    await api.getCart();
    expect(calls[2].headers['x-event-position']).toBe('41');
  });

  it('restores the position from sessionStorage', () => {
    sessionStorage.setItem(POSITION_KEY, '77');
    resetEventPositionForTests();
    expect(getEventPosition()).toBe(77);
    noteEventPosition('garbage');
    noteEventPosition('-3');
    expect(getEventPosition()).toBe(77);
    noteEventPosition(78);
    expect(getEventPosition()).toBe(78);
  });

  it('sends no position before any command', async () => {
    responses.push(json(200, { items: [], total: 0, limit: 12, offset: 0 }));
    await api.listProducts({ limit: 12, offset: 0 });
    expect(calls[0].headers['x-event-position']).toBeUndefined();
  });
});

describe('errors', () => {
  it('turns a string detail into the message', async () => {
    responses.push(json(409, { detail: 'username already taken' }));
    const err = await api.register({ username: 'a', email: 'a@b.c', password: 'x' }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(409);
    expect(err.message).toBe('username already taken');
    expect(err.isConflict).toBe(true);
  });

  it('shows the msgs of a FastAPI 422 list', async () => {
    responses.push(
      json(422, {
        detail: [
          { loc: ['body', 'email'], msg: 'value is not a valid email address', type: 'value_error' },
          { loc: ['body', 'password'], msg: 'Value error, password must be at least 8 characters', type: 'value_error' },
        ],
      }),
    );
    const err = await api.register({ username: 'a', email: 'nope', password: 'x' }).catch((e) => e);
    expect(err.status).toBe(422);
    expect(err.message).toBe('email: value is not a valid email address\npassword: password must be at least 8 characters');
    expect(Array.isArray(err.detail)).toBe(true);
    expect(err.fieldErrors).toEqual([
      { field: 'email', message: 'value is not a valid email address' },
      { field: 'password', message: 'password must be at least 8 characters' },
    ]);
  });

  it('reads the field errors of the newer error body', async () => {
    responses.push(
      json(422, {
        detail: 'Some fields are not valid.',
        errors: [{ field: 'username', message: 'Username must be at least 3 characters.' }],
      }),
    );
    const err = await api.register({ username: 'a', email: 'a@b.io', password: 'x' }).catch((e) => e);
    expect(err.message).toBe('Some fields are not valid.');
    expect(err.fieldErrors).toEqual([{ field: 'username', message: 'Username must be at least 3 characters.' }]);
  });

  it('tells a missing route from a missing thing', async () => {
    responses.push(json(404, { detail: 'Not Found' }), json(405, { detail: 'Method Not Allowed' }), json(404, { detail: 'order not found' }));
    const errs = [
      await api.adminSummary().catch((e) => e),
      await api.setCartQuantity('p', 2).catch((e) => e),
      await api.getOrder('o').catch((e) => e),
    ];
    expect(errs.map((e) => e.isMissingRoute)).toEqual([true, true, false]);
  });

  it('sends FormData as multipart, without a JSON content type', async () => {
    setToken('tok');
    responses.push(json(201, { id: 'p' }));
    await api.uploadProductImage('p', new File(['x'], 'a.png', { type: 'image/png' }));
    expect(calls[0].url).toBe('/products/p/images');
    expect(calls[0].init.body).toBeInstanceOf(FormData);
    expect(calls[0].headers['content-type']).toBeUndefined();
    expect(calls[0].headers.authorization).toBe('Bearer tok');
  });

  it('falls back to a readable message for bodies without detail', async () => {
    responses.push(new Response('<html>Bad gateway</html>', { status: 502, headers: { 'Content-Type': 'text/html' } }));
    const err = await api.getCart().catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(502);
    expect(err.message).toMatch(/server had a problem/i);

    responses.push(new Response(null, { status: 412 }));
    const stale = await api.updateProduct(1, { name: 'a', description: '', price: 1, stock: 1 }, 1).catch((e) => e);
    expect(stale.status).toBe(412);
    expect(stale.isConflict).toBe(true);
  });

  it('reports network failures as status 0', async () => {
    responses.push(new TypeError('Failed to fetch'));
    const err = await api.config().catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(0);
    expect(err.message).toMatch(/could not reach/i);
  });

  it('returns undefined for 204', async () => {
    setToken('t');
    responses.push(new Response(null, { status: 204, headers: { 'X-Event-Position': '5' } }));
    await expect(api.logout()).resolves.toBeUndefined();
    expect(getEventPosition()).toBe(5);
  });

  it('detailToMessage handles odd shapes', () => {
    expect(detailToMessage(null)).toBeNull();
    expect(detailToMessage('  ')).toBeNull();
    expect(detailToMessage(['a', { msg: 'b' }, 3])).toBe('a\nb');
    expect(detailToMessage({ msg: 'single' })).toBe('single');
    expect(detailToMessage({ code: 1 })).toBe('{"code":1}');
  });
});

describe('401 handling', () => {
  it('drops the token and calls the handler when a signed-in request is rejected', async () => {
    const handler = vi.fn();
    const off = onUnauthorized(handler);
    setToken('expired');
    responses.push(json(401, { detail: 'token revoked' }));
    const err = await api.getCart().catch((e) => e);
    expect(err.status).toBe(401);
    expect(err.message).toBe('token revoked');
    expect(getToken()).toBeNull();
    expect(handler).toHaveBeenCalledTimes(1);
    off();
  });

  it('keeps the token in memory only, and renews an expired one from the refresh cookie', async () => {
    const handler = vi.fn();
    const off = onUnauthorized(handler);
    setToken('expired');
    expect(JSON.stringify({ ...localStorage })).not.toContain('expired');
    responses.push(
      json(401, { detail: 'invalid or expired token' }),
      json(200, { access_token: 'renewed', token_type: 'bearer', expires_in: 3600 }),
      json(200, { items: [], total: 0, currency: 'EUR' }),
    );
    const cart = await api.getCart();
    expect(cart.total).toBe(0);
    expect(calls[1].url).toBe('/auth/refresh');
    expect(calls[1].init.method).toBe('POST');
    expect(calls[1].headers.authorization).toBeUndefined();
    expect(calls[2].headers.authorization).toBe('Bearer renewed');
    expect(getToken()).toBe('renewed');
    expect(handler).not.toHaveBeenCalled();
    off();
  });

  it('does not redirect on bad credentials at login', async () => {
    const handler = vi.fn();
    const off = onUnauthorized(handler);
    responses.push(json(401, { detail: 'invalid username or password' }));
    const err = await api.login({ username: 'a', password: 'b' }).catch((e) => e);
    expect(err.status).toBe(401);
    expect(err.message).toBe('invalid username or password');
    expect(handler).not.toHaveBeenCalled();
    off();
  });
});

describe('503 retry', () => {
  it('retries a GET once after Retry-After and sends the position again', async () => {
    noteEventPosition(9);
    responses.push(json(503, { detail: 'view is catching up' }, { 'Retry-After': '1' }));
    responses.push(json(200, { id: 'o1', status: 'paid' }));
    const order = await api.getOrder('o1');
    expect(order.status).toBe('paid');
    expect(calls).toHaveLength(2);
    expect(calls[1].headers['x-event-position']).toBe('9');
    expect(sleepMock).toHaveBeenCalledTimes(1);
    expect(sleepMock.mock.calls[0][0]).toBe(1000);
  });

  it('caps the delay and gives up after the single retry', async () => {
    responses.push(json(503, { detail: 'busy' }, { 'Retry-After': '120' }));
    responses.push(json(503, { detail: 'still busy' }, { 'Retry-After': '120' }));
    const err = await api.getCart().catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(503);
    expect(err.message).toBe('still busy');
    expect(err.retryAfter).toBe(120);
    expect(calls).toHaveLength(2);
    expect(sleepMock.mock.calls[0][0]).toBe(apiSettings.maxRetryDelayMs);
  });

  it('does not retry commands or 503s without Retry-After', async () => {
    setToken('t');
    responses.push(json(503, { detail: 'down' }, { 'Retry-After': '1' }));
    await expect(api.checkout('k')).rejects.toMatchObject({ status: 503 });
    responses.push(json(503, { detail: 'down' }));
    await expect(request('/healthz')).rejects.toMatchObject({ status: 503 });
    expect(calls).toHaveLength(2);
    expect(sleepMock).not.toHaveBeenCalled();
  });
});

describe('newIdempotencyKey', () => {
  it('returns distinct UUIDs', () => {
    const a = newIdempotencyKey();
    const b = newIdempotencyKey();
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
  });
});
