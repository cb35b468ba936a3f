// Order lists: the URL holds the search (?q=&status=&from=&to=&sort=&page=), the server
// searches (GET /orders?q=&status=&from=&to=&sort=). Servers without search ignore those
// parameters and send orders without `number`: then the search runs here over the latest
// orders (bounded), matching what the browser knows (number, id, PaymentIntent id, and the
// customer when the server names one).
import { api, ApiError, type Order, type OrderQuery, type OrderSort, type Page } from './api';
import { orderNumber } from './orderWords';

export const ORDER_SORTS: { value: OrderSort; label: string }[] = [
  { value: 'newest', label: 'Newest first' },
  { value: 'oldest', label: 'Oldest first' },
  { value: 'total_desc', label: 'Total: high to low' },
  { value: 'total_asc', label: 'Total: low to high' },
];

export interface OrderParams {
  q: string;
  status: string;
  from: string;
  to: string;
  sort: OrderSort;
  page: number;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function readOrderParams(params: URLSearchParams): OrderParams {
  const sort = params.get('sort');
  const page = Number(params.get('page'));
  const day = (name: string) => {
    const value = params.get(name) ?? '';
    return DAY.test(value) ? value : '';
  };
  return {
    q: (params.get('q') ?? '').trim(),
    status: params.get('status') ?? '',
    from: day('from'),
    to: day('to'),
    sort: ORDER_SORTS.some((s) => s.value === sort) ? (sort as OrderSort) : 'newest',
    page: Number.isSafeInteger(page) && page >= 1 ? page : 1,
  };
}

export function writeOrderParams(p: OrderParams): Record<string, string> {
  const out: Record<string, string> = {};
  if (p.q.trim()) out.q = p.q.trim();
  if (p.status) out.status = p.status;
  if (p.from) out.from = p.from;
  if (p.to) out.to = p.to;
  if (p.sort !== 'newest') out.sort = p.sort;
  if (p.page > 1) out.page = String(p.page);
  return out;
}

export function toOrderQuery(p: OrderParams, limit: number): OrderQuery {
  return {
    q: p.q || undefined,
    status: p.status || undefined,
    from: p.from || undefined,
    to: p.to || undefined,
    sort: p.sort,
    limit,
    offset: (p.page - 1) * limit,
  };
}

/** YYYY-MM-DD of an ISO time in the browser's time zone. */
export function localDay(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Whether an order matches a search: number or id prefix, PaymentIntent id, customer name or email. */
export function orderMatches(order: Order, q: string): boolean {
  const text = q.trim().replace(/^#/, '').toLowerCase();
  if (!text) return true;
  const compactId = String(order.id).replace(/-/g, '').toLowerCase();
  if (orderNumber(order).toLowerCase().startsWith(text)) return true;
  if (String(order.id).toLowerCase().startsWith(text) || compactId.startsWith(text.replace(/-/g, ''))) return true;
  if (order.payment_intent_id && order.payment_intent_id.toLowerCase().startsWith(text)) return true;
  if (order.customer) {
    if (order.customer.username.toLowerCase().includes(text) || order.customer.email.toLowerCase().includes(text)) return true;
  }
  return false;
}

/** The server's order search, done here over `orders` (newest first). */
export function searchOrdersLocally(orders: Order[], q: OrderQuery): Order[] {
  const kept = orders.filter((o) => {
    if (q.status && o.status !== q.status) return false;
    if (q.q && !orderMatches(o, q.q)) return false;
    const day = localDay(o.created_at);
    if (q.from && day < q.from) return false;
    if (q.to && day > q.to) return false;
    return true;
  });
  const indexed = kept.map((o, i) => ({ o, i }));
  indexed.sort((a, b) => {
    switch (q.sort) {
      case 'oldest':
        return b.i - a.i;
      case 'total_desc':
        return b.o.total - a.o.total || a.i - b.i;
      case 'total_asc':
        return a.o.total - b.o.total || a.i - b.i;
      default:
        return a.i - b.i;
    }
  });
  return indexed.map((x) => x.o);
}

export const LOCAL_ORDER_LIMIT = 1000;
const API_PAGE = 100;

export interface OrdersResult {
  page: Page<Order>;
  searchedBy: 'server' | 'browser';
}

function hasSearch(q: OrderQuery): boolean {
  return !!q.q || !!q.from || !!q.to || (!!q.sort && q.sort !== 'newest');
}

/** Every order the server lists, newest first, up to `max` (pages of 100). */
export async function fetchOrders(max: number, signal?: AbortSignal, status?: string): Promise<Order[]> {
  const all: Order[] = [];
  for (let offset = 0; offset < max; offset += API_PAGE) {
    const chunk = await api.listOrders({ status, limit: API_PAGE, offset }, signal);
    all.push(...chunk.items);
    if (chunk.items.length < API_PAGE || offset + API_PAGE >= chunk.total) break;
  }
  return all;
}

export async function searchOrders(q: OrderQuery, signal?: AbortSignal): Promise<OrdersResult> {
  let first: Page<Order>;
  try {
    first = await api.listOrders(q, signal);
  } catch (err) {
    // An older server does not know a newer status: nothing can have it there.
    if (err instanceof ApiError && err.status === 422 && q.status === 'needs_stock') {
      return { page: { items: [], total: 0, limit: q.limit, offset: q.offset }, searchedBy: 'server' };
    }
    throw err;
  }
  let modern: boolean | null = first.items.length ? 'number' in first.items[0] : null;
  if (modern === null && hasSearch(q) && q.offset > 0) {
    const probe = await api.listOrders({ limit: 1, offset: 0 }, signal);
    modern = probe.items.length ? 'number' in probe.items[0] : null;
  }
  if (modern !== false || !hasSearch(q)) return { page: first, searchedBy: 'server' };
  const found = searchOrdersLocally(await fetchOrders(LOCAL_ORDER_LIMIT, signal, q.status), q);
  return {
    page: { items: found.slice(q.offset, q.offset + q.limit), total: found.length, limit: q.limit, offset: q.offset },
    searchedBy: 'browser',
  };
}
