// Order lists: the URL holds the search (?q=&status=&dispute=&from=&to=&sort=&page=), the
// server searches (GET /orders?q=&status=&dispute=&from=&to=&sort=): order number, PaymentIntent id, and
// for staff the customer's username or email.
import { api, type DisputeFilter, type Order, type OrderQuery, type OrderSort, type Page } from './api';

export const ORDER_SORTS: { value: OrderSort; label: string }[] = [
  { value: 'newest', label: 'Newest first' },
  { value: 'oldest', label: 'Oldest first' },
  { value: 'total_desc', label: 'Total: high to low' },
  { value: 'total_asc', label: 'Total: low to high' },
];

export const DISPUTE_FILTERS: { value: DisputeFilter; label: string }[] = [
  { value: 'any', label: 'Any dispute' },
  { value: 'open', label: 'Open disputes' },
  { value: 'lost', label: 'Lost (money lost)' },
  { value: 'won', label: 'Won (closed)' },
];

export interface OrderParams {
  q: string;
  status: string;
  dispute: DisputeFilter | '';
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
    dispute: DISPUTE_FILTERS.find((d) => d.value === params.get('dispute'))?.value ?? '',
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
  if (p.dispute) out.dispute = p.dispute;
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
    dispute: p.dispute || undefined,
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

export interface OrdersResult {
  page: Page<Order>;
}

export async function searchOrders(q: OrderQuery, signal?: AbortSignal): Promise<OrdersResult> {
  return { page: await api.listOrders(q, signal) };
}
