import { SseParser } from './sse';

// The one place that talks HTTP to the shop's API (same origin, see docs/api.md), and the
// one place that handles the token: the access token lives in memory only (no script
// injected into the page can find it in storage), and the sign-in session in an httpOnly
// refresh cookie that only POST /auth/refresh receives (refreshSession).
//
// - every request sends `Accept: application/json` (the back end serves index.html to
//   requests that prefer text/html, and page paths coincide with API paths);
// - bodies are JSON with `Content-Type: application/json` (FormData goes as multipart);
// - the access token lives in this module's memory and goes out as `Authorization: Bearer`;
//   after a reload (or when it expires) refreshSession() gets a new one from the cookie;
// - read-your-writes: the highest `X-Event-Position` seen on any response is kept in
//   memory + sessionStorage and sent back on every GET;
// - a 503 with Retry-After on a GET is retried once after a short delay;
// - a 401 on a request that carried a token tries one refresh and sends the request again;
//   if that fails, it drops the token and calls the unauthorized handler (-> /login);
// - errors become ApiError with the API's `detail` turned into readable text and the
//   per-field problems of a 422 in `fieldErrors`;
// - routes the server does not have yet (isMissingRoute) let callers fall back.

export type Id = string | number;

export type Role = 'shopper' | 'admin' | 'support' | (string & {});

export interface User {
  id: Id;
  username: string;
  email: string;
  role: Role;
}

export interface LoginResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
}

export interface ProductImage {
  id: Id;
  url: string;
  thumbnail_url: string;
  width: number;
  height: number;
  content_type: string;
}

export interface Product {
  id: Id;
  name: string;
  description: string;
  price: number;
  currency: string;
  stock: number;
  version: number;
  created_at: string;
  updated_at: string;
  /** The first image is the main one. Absent on servers without image support. */
  images?: ProductImage[];
}

export type ProductSort = 'relevance' | 'newest' | 'price_asc' | 'price_desc';

export interface ProductQuery {
  q?: string;
  sort?: ProductSort;
  min_price?: number;
  max_price?: number;
  limit: number;
  offset: number;
}

export interface ProductInput {
  name: string;
  description: string;
  price: number;
  stock: number;
  currency?: string;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface CartItem {
  product_id: Id;
  name: string;
  unit_price: number;
  currency: string;
  quantity: number;
  line_total: number;
  /** False when the product was delisted or has less stock than the line's quantity. */
  available: boolean;
}

export interface Cart {
  items: CartItem[];
  total: number;
  currency: string;
  /** Sum of the quantities (newer servers; computed from the items otherwise). */
  count?: number;
}

/** A postal address (personal data: the shop keeps it beside its events, never in them). */
export interface Address {
  name: string;
  line1: string;
  line2?: string;
  city: string;
  postal_code: string;
  /** ISO 3166-2 code (US-TX), where the country asks for one. */
  region?: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  phone?: string;
}

export interface SavedAddress extends Required<Address> {
  id: Id;
  default: boolean;
}

/** An order's address; `erased` when its customer asked to be forgotten. */
export interface OrderAddress extends Required<Address> {
  erased: boolean;
}

export interface ShippingOption {
  id: string;
  name: string;
  price: number;
  currency: string;
  free_above: number | null;
  min_days: number;
  max_days: number;
}

export interface TaxAmount {
  rate_bp: number;
  amount: number;
}

/** What the shopper chose at checkout (POST /checkout and /checkout/quote). */
export interface CheckoutBody {
  shipping_address?: Address;
  address_id?: Id;
  billing_address?: Address;
  shipping_method_id?: string;
  discount_code?: string;
}

export interface Figures {
  subtotal: number;
  discount: number;
  shipping: number;
  tax: number;
  total: number;
  currency: string;
  tax_by_rate: TaxAmount[];
}

export interface Quote extends Figures {
  shipping_method: Omit<ShippingOption, 'currency'> | null;
  discount_code: string | null;
  lines: { product_id: Id; name: string; unit_price: number; quantity: number; discount: number; tax: number; rate_bp: number }[];
}

export interface CheckoutResponse extends Partial<Figures> {
  order_id: Id;
  client_secret: string | null;
  payment_intent_id: string | null;
  amount: number;
  currency: string;
  status: string;
}

export interface PaymentSession {
  order_id: Id;
  payment_intent_id: string;
  client_secret: string | null;
  amount: number;
  currency: string;
}

export interface ShippingRate {
  currency: string;
  price: number;
  free_above: number | null;
}

export interface ShippingMethod {
  id: string;
  name: string;
  countries: string[];
  price: number;
  currency: string;
  free_above: number | null;
  min_days: number;
  max_days: number;
  rates: ShippingRate[];
}

export type ShippingMethodInput = Omit<ShippingMethod, 'id' | 'rates'> & { rates?: ShippingRate[] };

export interface TaxRate {
  id: string;
  country: string;
  rate_bp: number;
  reduced_rate_bp: number | null;
}

export interface DiscountCode {
  id: Id;
  code: string;
  percent_off: number | null;
  amount_off: number | null;
  currency: string | null;
  min_subtotal: number | null;
  starts_at: string | null;
  ends_at: string | null;
  max_uses: number | null;
  max_uses_per_customer: number | null;
  product_ids: Id[];
  uses: number;
}

export type DiscountCodeInput = Omit<DiscountCode, 'id' | 'uses'>;

export interface Country {
  code: string;
  name: string;
  regions: { code: string; name: string }[];
  region_required: boolean;
  postal_code_required: boolean;
}

export const ORDER_STATUSES = [
  'pending_payment',
  'needs_stock',
  'paid',
  'fulfilled',
  'payment_failed',
  'cancelled',
  'refunded',
  'partially_refunded',
] as const;

export type OrderStatus = (typeof ORDER_STATUSES)[number] | (string & {});

export interface OrderLine {
  product_id: Id;
  name: string;
  unit_price: number;
  quantity: number;
  line_total: number;
  /** The line's share of the discount, and its tax (newer servers). */
  discount?: number;
  tax?: number;
  rate_bp?: number;
}

export interface Customer {
  username: string;
  email: string;
}

export interface Order {
  id: Id;
  /** Short order number (newer servers). */
  number?: string | null;
  user_id: Id;
  /** Staff only, on newer servers; null for shoppers. */
  customer?: Customer | null;
  /** Whether the order holds its reserved stock (newer servers). */
  holds_stock?: boolean;
  status: OrderStatus;
  lines: OrderLine[];
  /** The figures (newer servers; orders placed before shipping and tax: subtotal = total). */
  subtotal?: number;
  discount?: number;
  shipping?: number;
  tax?: number;
  tax_by_rate?: TaxAmount[];
  prices_include_tax?: boolean;
  shipping_method?: Omit<ShippingOption, 'currency'> | null;
  discount_code?: string | null;
  /** On the order's own page only (its owner and staff). */
  shipping_address?: OrderAddress | null;
  billing_address?: OrderAddress | null;
  total: number;
  currency: string;
  amount_refunded: number;
  payment_intent_id: string | null;
  /** "" when there is none. */
  tracking_note: string;
  /** The disputes in one word: "lost" (money lost) if any was lost, else "open", else "won" / "closed". */
  dispute: string | null;
  /** Each dispute's state and amount (newer servers). */
  disputes?: { id: string; state: string; amount: number }[];
  /** Minor units taken back by lost disputes (newer servers). */
  amount_lost?: number;
  /** Paid, but its units were sold meanwhile: it cannot ship until a restock or a refund. */
  needs_stock?: boolean;
  created_at: string;
  updated_at: string;
  version: number;
}

export interface HistoryEntry {
  version: number;
  type: string;
  at: string;
  /** A user id, or "stripe" / "system". */
  actor: string;
  summary: string;
  data: Record<string, unknown>;
  /** Where the fact came from (newer servers): "shop" | "stripe" | "reconciliation". */
  source?: string;
}

export interface OrderHistory {
  order_id: Id;
  items: HistoryEntry[];
}

export interface PaymentEvent {
  source: 'stripe' | 'shop' | 'reconciliation' | (string & {});
  /** Stripe event id, or the shop's payment intent / refund reference. */
  ref: string;
  type: string;
  at: string;
  duplicate: boolean;
  amount: number | null;
  currency: string | null;
  summary: string;
}

export interface PaymentTimeline {
  order_id: Id;
  items: PaymentEvent[];
}

export interface ShopConfig {
  currency: string;
  stripe_publishable_key: string;
  dev_payments: boolean;
  shop_name?: string;
  prices_include_tax?: boolean;
  /** The countries the shop ships to; empty: it sells without shipping (no address asked). */
  ships_to?: Country[];
}

export interface RefundResponse {
  refund_id: string;
  order_id: Id;
  amount: number;
  state: string;
  stripe_refund_id: string | null;
}

export interface OrderState {
  id: Id;
  status: OrderStatus;
  version: number;
}

export type OrderSort = 'newest' | 'oldest' | 'total_desc' | 'total_asc';

export type DisputeFilter = 'any' | 'open' | 'lost' | 'won' | 'closed';

export interface OrderQuery {
  q?: string;
  status?: string;
  /** Orders with a dispute (any), or whose disputes are in this state (lost: money lost). */
  dispute?: DisputeFilter;
  /** YYYY-MM-DD, inclusive. */
  from?: string;
  /** YYYY-MM-DD, inclusive. */
  to?: string;
  sort?: OrderSort;
  limit: number;
  offset: number;
}

export interface MoneyAmount {
  currency: string;
  amount: number;
}

export interface SalesSplit {
  currency: string;
  net_sales: number;
  shipping: number;
  tax: number;
  discount: number;
}

export interface OrderStats {
  orders: number;
  revenue: MoneyAmount[];
  by_status: Record<string, number>;
  sales?: SalesSplit[];
}

export interface ProjectionHealth {
  name: string;
  position: number | null;
  head: number | null;
  lag: number | null;
  state: string;
}

export interface AdminSummary {
  today: OrderStats;
  last_30_days: OrderStats;
  daily: { day: string; orders: number; revenue: MoneyAmount[] }[];
  attention: Order[];
  projections: ProjectionHealth[];
  recent: Order[];
}

export interface DevConfirmResponse {
  payment_intent_id: string;
  status: string;
}

// ---------------------------------------------------------------------------
// Errors

/** One invalid input: `field` is the input's name ("password"), `message` the server's words. */
export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly detail: unknown;
  readonly retryAfter: number | null;
  /** Per-field problems of a 422 (the `errors` list, or FastAPI's array `detail`). */
  readonly fieldErrors: FieldError[];

  constructor(
    status: number,
    message: string,
    detail: unknown = null,
    retryAfter: number | null = null,
    fieldErrors: FieldError[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
    this.retryAfter = retryAfter;
    this.fieldErrors = fieldErrors;
  }

  /** 409 Conflict or 412 Precondition Failed: someone else changed the resource. */
  get isConflict(): boolean {
    return this.status === 409 || this.status === 412;
  }

  /**
   * The server has no such route (yet): 405, or FastAPI's bare 404 "Not Found". Our own
   * 404s always say what was not found ("order not found"), so they do not count.
   */
  get isMissingRoute(): boolean {
    return this.status === 405 || (this.status === 404 && this.detail === 'Not Found');
  }
}

/** True when `err` says the server lacks the route: the caller falls back to older routes. */
export function isMissingRoute(err: unknown): boolean {
  return err instanceof ApiError && err.isMissingRoute;
}

/** The field a FastAPI `loc` points at: its last name that is not the body/query wrapper. */
function locField(loc: unknown): string | null {
  if (!Array.isArray(loc)) return null;
  for (let i = loc.length - 1; i >= 0; i--) {
    const part = loc[i];
    if (typeof part === 'string' && !['body', 'query', 'path', 'header'].includes(part)) return part;
  }
  return null;
}

/** Field errors from an error body: the contract's `errors`, or FastAPI's 422 `detail` array. */
export function parseFieldErrors(body: unknown): FieldError[] {
  if (!body || typeof body !== 'object') return [];
  const { errors, detail } = body as { errors?: unknown; detail?: unknown };
  const out: FieldError[] = [];
  if (Array.isArray(errors)) {
    for (const item of errors) {
      if (item && typeof item === 'object' && typeof (item as FieldError).field === 'string') {
        out.push({ field: (item as FieldError).field, message: String((item as FieldError).message ?? '') });
      }
    }
    if (out.length) return out;
  }
  if (Array.isArray(detail)) {
    for (const item of detail) {
      if (!item || typeof item !== 'object') continue;
      const field = locField((item as { loc?: unknown }).loc);
      const msg = (item as { msg?: unknown }).msg;
      if (field && typeof msg === 'string') out.push({ field, message: msg.replace(/^Value error, /, '') });
    }
  }
  return out;
}

/** Turn an API `detail` (a string, FastAPI's 422 list of {msg, loc}, or anything) into text. */
export function detailToMessage(detail: unknown): string | null {
  if (detail == null) return null;
  if (typeof detail === 'string') return detail.trim() || null;
  if (Array.isArray(detail)) {
    const msgs = detail
      .map((item) => {
        if (typeof item === 'string') return item;
        if (item && typeof item === 'object' && 'msg' in item) {
          const msg = String((item as { msg: unknown }).msg).replace(/^Value error, /, '');
          const field = locField((item as { loc?: unknown }).loc);
          return field ? `${field}: ${msg}` : msg;
        }
        return null;
      })
      .filter((m): m is string => !!m);
    return msgs.length ? msgs.join('\n') : null;
  }
  if (typeof detail === 'object' && 'msg' in detail) return String((detail as { msg: unknown }).msg);
  try {
    return JSON.stringify(detail);
  } catch {
    return String(detail);
  }
}

const STATUS_TEXT: Record<number, string> = {
  0: 'Could not reach the shop. Check your connection and try again.',
  400: 'The request was not accepted.',
  401: 'Please sign in.',
  403: 'You are not allowed to do that.',
  404: 'Not found.',
  409: 'This conflicts with a recent change. Reload and try again.',
  412: 'This was changed by someone else. Reload and try again.',
  422: 'Some values are not valid.',
  429: 'Too many requests. Please wait a moment.',
  503: 'The shop is busy catching up. Please try again in a moment.',
};

function fallbackMessage(status: number): string {
  return STATUS_TEXT[status] ?? (status >= 500 ? `The server had a problem (HTTP ${status}).` : `Request failed (HTTP ${status}).`);
}

/** Readable text for anything thrown by the client (or elsewhere). */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

// ---------------------------------------------------------------------------
// Storage: token (memory) and event position (memory + sessionStorage)

/** Where earlier releases kept the token; removed on load so no copy lingers there. */
const LEGACY_TOKEN_KEY = 'shop.token';
export const POSITION_KEY = 'shop.eventPosition';

function storage(kind: 'localStorage' | 'sessionStorage'): Storage | null {
  try {
    return typeof window !== 'undefined' ? window[kind] : null;
  } catch {
    return null;
  }
}

let accessToken: string | null = null;
try {
  storage('localStorage')?.removeItem(LEGACY_TOKEN_KEY);
} catch {
  // storage may be unavailable (privacy modes): nothing to remove then
}

export function getToken(): string | null {
  return accessToken;
}

export function setToken(token: string): void {
  accessToken = token;
}

export function clearToken(): void {
  accessToken = null;
}

let refreshing: Promise<boolean> | null = null;

/**
 * A new access token from the refresh cookie (after a reload, or when the token expired).
 * Concurrent callers share one request. True when signed in afterwards.
 */
export function refreshSession(): Promise<boolean> {
  if (!refreshing) {
    refreshing = request<LoginResponse>('/auth/refresh', { method: 'POST', auth: false })
      .then((res) => {
        setToken(res.data.access_token);
        return true;
      })
      .catch(() => false)
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

let position: number | null = null;

function parsePosition(value: string | null | undefined): number | null {
  if (value == null) return null;
  const text = value.trim();
  if (!/^\d+$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

/** Highest X-Event-Position seen so far (this tab), or null. */
export function getEventPosition(): number | null {
  if (position === null) position = parsePosition(storage('sessionStorage')?.getItem(POSITION_KEY));
  return position;
}

/** Remember a position if it is higher than the one we have. */
export function noteEventPosition(value: string | number | null | undefined): void {
  const next = typeof value === 'number' ? (Number.isSafeInteger(value) && value >= 0 ? value : null) : parsePosition(value);
  if (next === null) return;
  const current = getEventPosition();
  if (current === null || next > current) {
    position = next;
    storage('sessionStorage')?.setItem(POSITION_KEY, String(next));
  }
}

/** Forget the in-memory position (tests, logout keeps it: positions are global, not per user). */
export function resetEventPositionForTests(): void {
  position = null;
}

// ---------------------------------------------------------------------------
// Transport

type UnauthorizedHandler = () => void;
let unauthorizedHandler: UnauthorizedHandler | null = null;

/** Register what happens when a signed-in request gets 401 (returns an unsubscribe). */
export function onUnauthorized(handler: UnauthorizedHandler): () => void {
  unauthorizedHandler = handler;
  return () => {
    if (unauthorizedHandler === handler) unauthorizedHandler = null;
  };
}

export const apiSettings = {
  /** Upper bound for the wait before the single 503 retry of a GET. */
  maxRetryDelayMs: 2000,
  /** Wait used when Retry-After is missing or unreadable. */
  defaultRetryDelayMs: 500,
  sleep: (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface RequestOptions {
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  query?: Record<string, string | number | boolean | null | undefined>;
  headers?: Record<string, string>;
  /** Send the bearer token when there is one (default true). */
  auth?: boolean;
  signal?: AbortSignal;
}

export interface ApiResponse<T> {
  data: T;
  status: number;
  headers: Headers;
}

// Empty (the default): the API is this page's own origin. A storefront hosted elsewhere
// (Netlify, Vercel) is built with VITE_API_BASE_URL=https://api.example.com, and that API
// lists the storefront's origin in CORS_ORIGINS (docs/deploy.md).
const API_BASE = String(import.meta.env.VITE_API_BASE_URL ?? '').replace(/\/+$/, '');

function buildUrl(path: string, query?: RequestOptions['query']): string {
  path = API_BASE + path;
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path;
}

/** Retry-After in seconds (delta-seconds or HTTP date), or null. */
export function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const date = Date.parse(text);
  if (!Number.isNaN(date)) return Math.max(0, (date - Date.now()) / 1000);
  return null;
}

async function readBody(res: Response): Promise<unknown> {
  if (res.status === 204 || res.status === 205) return undefined;
  const text = await res.text().catch(() => '');
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** `headers` plus the bearer token when there is one and `withToken`. */
function authHeaders(headers: Record<string, string>, withToken = true): Record<string, string> {
  const token = withToken ? getToken() : null;
  return token ? { ...headers, Authorization: `Bearer ${token}` } : { ...headers };
}

/** A signed-in request was refused: drop the token and let the app send the user to sign in. */
function signedOut(): void {
  clearToken();
  unauthorizedHandler?.();
}

export async function request<T = unknown>(path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  const method = options.method ?? 'GET';
  const isQuery = method === 'GET' || method === 'HEAD';
  const url = buildUrl(path, options.query);

  const send = async (): Promise<Response> => {
    const multipart = typeof FormData !== 'undefined' && options.body instanceof FormData;
    const headers = authHeaders({ Accept: 'application/json', ...options.headers }, options.auth !== false);
    if (options.body !== undefined && !multipart) headers['Content-Type'] = 'application/json';
    const pos = getEventPosition();
    if (isQuery && pos !== null) headers['X-Event-Position'] = String(pos);
    try {
      return await fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : multipart ? (options.body as FormData) : JSON.stringify(options.body),
        signal: options.signal,
        // The refresh cookie: same-origin by default, or the API's origin when it is another.
        credentials: API_BASE ? 'include' : 'same-origin',
      });
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') throw err;
      if (err instanceof Error && err.name === 'AbortError') throw err;
      throw new ApiError(0, fallbackMessage(0), null);
    }
  };

  const sentToken = options.auth !== false && getToken() !== null;
  let res = await send();
  noteEventPosition(res.headers.get('X-Event-Position'));
  let refused: { data: unknown } | null = null;

  if (res.status === 401 && sentToken) {
    // The access token expired (or was dropped): one refresh from the cookie, one retry.
    refused = { data: await readBody(res) };
    clearToken();
    if (await refreshSession()) {
      res = await send();
      noteEventPosition(res.headers.get('X-Event-Position'));
      refused = null;
    }
  }

  if (isQuery && res.status === 503 && !refused) {
    const retryAfter = parseRetryAfter(res.headers.get('Retry-After'));
    if (retryAfter !== null) {
      const delay = Math.min(apiSettings.maxRetryDelayMs, Math.max(100, retryAfter * 1000 || apiSettings.defaultRetryDelayMs));
      await res.body?.cancel().catch(() => undefined);
      await apiSettings.sleep(delay);
      res = await send();
      noteEventPosition(res.headers.get('X-Event-Position'));
    }
  }

  const data = refused ? refused.data : await readBody(res);

  if (!res.ok) {
    const detail = data && typeof data === 'object' && 'detail' in data ? (data as { detail: unknown }).detail : data;
    const message = detailToMessage(typeof detail === 'string' && detail.trim().startsWith('<') ? null : detail) ?? fallbackMessage(res.status);
    const error = new ApiError(
      res.status,
      message,
      detail ?? null,
      parseRetryAfter(res.headers.get('Retry-After')),
      parseFieldErrors(data),
    );
    if (res.status === 401 && sentToken) signedOut();
    throw error;
  }

  return { data: data as T, status: res.status, headers: res.headers };
}

async function get<T>(path: string, query?: RequestOptions['query'], signal?: AbortSignal): Promise<T> {
  return (await request<T>(path, { query, signal })).data;
}

async function send<T>(method: RequestOptions['method'], path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
  return (await request<T>(path, { method, body, headers })).data;
}

const seg = (id: Id) => encodeURIComponent(String(id));

/** ETag value for a product version: `"<version>"`. */
export const versionTag = (version: number | string) => `"${version}"`;

/** A fresh idempotency key (crypto.randomUUID, with a fallback for non-secure contexts). */
export function newIdempotencyKey(): string {
  const c: Crypto | undefined = typeof globalThis !== 'undefined' ? globalThis.crypto : undefined;
  if (c && typeof c.randomUUID === 'function') return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (c && typeof c.getRandomValues === 'function') c.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Follow GET /orders/{id}/stream: calls `onOrder` with the order at once and on every change,
 * until the server ends the stream (resolves) or `signal` aborts. Throws ApiError on an
 * error status (isMissingRoute when the server has no stream yet) or when the answer is not
 * an event stream.
 */
export async function streamOrder(id: Id, onOrder: (order: Order) => void, signal: AbortSignal): Promise<void> {
  const withToken = getToken() !== null;
  // Read-your-writes: right after checkout the order may not be in the view yet.
  const headers = authHeaders({ Accept: 'text/event-stream' });
  const pos = getEventPosition();
  if (pos !== null) headers['X-Event-Position'] = String(pos);
  let res: Response;
  try {
    res = await fetch(buildUrl(`/orders/${seg(id)}/stream`), {
      headers,
      signal,
      credentials: API_BASE ? 'include' : 'same-origin',
      cache: 'no-store',
    });
  } catch (err) {
    if (signal.aborted) throw err;
    throw new ApiError(0, fallbackMessage(0));
  }
  if (!res.ok) {
    const data = await readBody(res);
    const detail = data && typeof data === 'object' && 'detail' in data ? (data as { detail: unknown }).detail : data;
    if (res.status === 401 && withToken) signedOut();
    throw new ApiError(res.status, detailToMessage(detail) ?? fallbackMessage(res.status), detail ?? null);
  }
  const type = res.headers.get('Content-Type') ?? '';
  if (!type.startsWith('text/event-stream') || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    throw new ApiError(404, 'The order stream is not available.', 'Not Found');
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      for (const message of parser.push(decoder.decode(value, { stream: true }))) {
        if (message.event !== 'order') continue;
        try {
          onOrder(JSON.parse(message.data) as Order);
        } catch {
          // a malformed message: wait for the next one
        }
      }
    }
  } finally {
    reader.releaseLock();
  }
}

// ---------------------------------------------------------------------------
// Endpoints

export const api = {
  // Accounts
  register: (body: { username: string; email: string; password: string }) =>
    request<User>('/register', { method: 'POST', body, auth: false }).then((r) => r.data),
  login: (body: { username: string; password: string }) =>
    request<LoginResponse>('/login', { method: 'POST', body, auth: false }).then((r) => r.data),
  logout: () => send<void>('POST', '/logout'),
  me: (signal?: AbortSignal) => get<User>('/protected', undefined, signal),

  // Catalog
  listProducts: (params: ProductQuery, signal?: AbortSignal) =>
    get<Page<Product>>('/products', { ...params }, signal),
  getProduct: async (id: Id, signal?: AbortSignal) => {
    const res = await request<Product>(`/products/${seg(id)}`, { signal });
    return { product: res.data, etag: res.headers.get('ETag') };
  },
  createProduct: (body: ProductInput) => send<Product>('POST', '/products', body),
  updateProduct: (id: Id, body: ProductInput, version?: number) =>
    send<Product>('PUT', `/products/${seg(id)}`, body, version === undefined ? undefined : { 'If-Match': versionTag(version) }),
  deleteProduct: (id: Id, version?: number) =>
    send<void>('DELETE', `/products/${seg(id)}`, undefined, version === undefined ? undefined : { 'If-Match': versionTag(version) }),

  /** 201 with the product and its new image (newer servers; JPEG/PNG/WebP up to 5 MB). */
  uploadProductImage: (id: Id, file: File) => {
    const form = new FormData();
    form.append('file', file);
    return send<Product>('POST', `/products/${seg(id)}/images`, form);
  },
  deleteProductImage: (id: Id, imageId: Id) => send<void>('DELETE', `/products/${seg(id)}/images/${seg(imageId)}`),

  // Cart
  getCart: (signal?: AbortSignal) => get<Cart>('/cart', undefined, signal),
  addToCart: (productId: Id, quantity: number) =>
    send<{ product_id: Id; quantity: number }>('POST', '/cart', { product_id: productId, quantity }),
  /** Set a line's quantity; 0 removes it (newer servers: 405 on older ones). */
  setCartQuantity: (productId: Id, quantity: number) =>
    send<{ product_id: Id; quantity: number }>('PUT', `/cart/${seg(productId)}`, { quantity }),
  removeFromCart: (productId: Id) => send<void>('DELETE', `/cart/${seg(productId)}`),

  // Addresses (the address book)
  addresses: (signal?: AbortSignal) => get<{ items: SavedAddress[] }>('/me/addresses', undefined, signal),
  addAddress: (address: Address & { default?: boolean }) => send<SavedAddress>('POST', '/me/addresses', address),
  updateAddress: (id: Id, address: Address & { default?: boolean }) =>
    send<SavedAddress>('PUT', `/me/addresses/${seg(id)}`, address),
  deleteAddress: (id: Id) => send<void>('DELETE', `/me/addresses/${seg(id)}`),

  // Checkout, orders, payments
  shippingOptions: (country: string, currency: string, signal?: AbortSignal) =>
    get<{ items: ShippingOption[] }>('/shipping-methods', { country, currency }, signal),
  quote: (body: CheckoutBody) => send<Quote>('POST', '/checkout/quote', body),
  checkout: (idempotencyKey: string, body?: CheckoutBody) =>
    send<CheckoutResponse>('POST', '/checkout', body, { 'Idempotency-Key': idempotencyKey }),
  /** The client secret of a payable order of mine (a payment link, a reload). */
  paymentSession: (orderId: Id) => send<PaymentSession>('POST', `/orders/${seg(orderId)}/payment`),
  listOrders: (params: OrderQuery, signal?: AbortSignal) => get<Page<Order>>('/orders', { ...params }, signal),
  getOrder: (id: Id, signal?: AbortSignal) => get<Order>(`/orders/${seg(id)}`, undefined, signal),
  /** The order as it stood after its Nth event (newer servers; older ones ignore `version`). */
  getOrderAtVersion: (id: Id, version: number, signal?: AbortSignal) =>
    get<Order>(`/orders/${seg(id)}`, { version }, signal),
  /** The order as it stood at an ISO time (pass history `at` strings verbatim: microseconds). */
  getOrderAsOf: (id: Id, at: string, signal?: AbortSignal) => get<Order>(`/orders/${seg(id)}`, { as_of: at }, signal),
  streamOrder,
  adminSummary: (signal?: AbortSignal) => get<AdminSummary>('/admin/summary', undefined, signal),
  orderHistory: (id: Id, signal?: AbortSignal) =>
    get<OrderHistory>(`/orders/${seg(id)}/history`, undefined, signal),
  /** Staff only (403 for shoppers, their own orders included). */
  orderPayments: (id: Id, signal?: AbortSignal) =>
    get<PaymentTimeline>(`/orders/${seg(id)}/payments`, undefined, signal),
  /** 202: Stripe has the refund (or, state "requested", it is still being asked). The key
   * names the refund: retrying with it reports the same refund, never a second one. */
  refund: (id: Id, amount: number, idempotencyKey: string) =>
    send<RefundResponse>('POST', `/orders/${seg(id)}/refunds`, { amount }, { 'Idempotency-Key': idempotencyKey }),
  fulfil: (id: Id, trackingNote?: string) =>
    send<OrderState>('POST', `/orders/${seg(id)}/fulfil`, trackingNote ? { tracking_note: trackingNote } : {}),
  cancel: (id: Id) => send<OrderState>('POST', `/orders/${seg(id)}/cancel`),
  config: (signal?: AbortSignal) => get<ShopConfig>('/config', undefined, signal),
  // What the shop sells by (admins write; staff read)
  shippingMethods: (signal?: AbortSignal) => get<{ items: ShippingMethod[] }>('/admin/shipping-methods', undefined, signal),
  addShippingMethod: (body: ShippingMethodInput) => send<ShippingMethod>('POST', '/admin/shipping-methods', body),
  updateShippingMethod: (id: Id, body: ShippingMethodInput) =>
    send<ShippingMethod>('PUT', `/admin/shipping-methods/${seg(id)}`, body),
  deleteShippingMethod: (id: Id) => send<void>('DELETE', `/admin/shipping-methods/${seg(id)}`),
  taxRates: (signal?: AbortSignal) => get<{ items: TaxRate[] }>('/admin/tax-rates', undefined, signal),
  addTaxRate: (body: Omit<TaxRate, 'id'>) => send<TaxRate>('POST', '/admin/tax-rates', body),
  updateTaxRate: (id: Id, body: Omit<TaxRate, 'id'>) => send<TaxRate>('PUT', `/admin/tax-rates/${seg(id)}`, body),
  deleteTaxRate: (id: Id) => send<void>('DELETE', `/admin/tax-rates/${seg(id)}`),
  discountCodes: (signal?: AbortSignal) => get<{ items: DiscountCode[] }>('/admin/discount-codes', undefined, signal),
  addDiscountCode: (body: DiscountCodeInput) => send<DiscountCode>('POST', '/admin/discount-codes', body),
  updateDiscountCode: (id: Id, body: DiscountCodeInput) =>
    send<DiscountCode>('PUT', `/admin/discount-codes/${seg(id)}`, body),
  deleteDiscountCode: (id: Id) => send<void>('DELETE', `/admin/discount-codes/${seg(id)}`),

  devConfirmPayment: (orderId: Id, outcome: 'success' | 'decline') =>
    send<DevConfirmResponse>('POST', `/dev/payments/${seg(orderId)}/confirm`, { outcome }),
};
