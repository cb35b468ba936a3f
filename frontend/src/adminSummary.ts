// The admin home's numbers: GET /admin/summary; on servers without it, the same figures
// computed here from the latest orders (projection health needs the server, so it is empty).
import { api, isMissingRoute, type AdminSummary, type MoneyAmount, type Order, type OrderStats } from './api';
import { fetchOrders, localDay } from './orderSearch';

/** Statuses whose payment arrived: their revenue is what was paid minus what was refunded. */
const PAID = new Set(['paid', 'fulfilled', 'partially_refunded', 'refunded', 'needs_stock']);

export const SUMMARY_ORDER_LIMIT = 500;

function addMoney(into: Map<string, number>, currency: string, amount: number): void {
  into.set(currency, (into.get(currency) ?? 0) + amount);
}

function moneyList(map: Map<string, number>): MoneyAmount[] {
  return [...map.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([currency, amount]) => ({ currency, amount }));
}

function stats(orders: Order[]): OrderStats {
  const revenue = new Map<string, number>();
  const byStatus: Record<string, number> = {};
  for (const o of orders) {
    byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;
    if (PAID.has(o.status)) addMoney(revenue, o.currency, o.total - o.amount_refunded);
  }
  return { orders: orders.length, revenue: moneyList(revenue), by_status: byStatus };
}

/** Why an order needs someone's attention, or null. */
export function attentionReason(order: Order): string | null {
  if (order.dispute === 'open') return 'Payment disputed';
  if (order.status === 'needs_stock') return 'Waiting for stock';
  if (order.status === 'paid' || order.status === 'partially_refunded') return 'Ready to ship';
  if (order.status === 'payment_failed') return 'Payment failed';
  return null;
}

/** The summary from a list of orders (newest first), relative to `now` in the browser's time zone. */
export function summarizeOrders(orders: Order[], now: Date = new Date()): AdminSummary {
  const days: string[] = [];
  for (let i = 29; i >= 0; i--) {
    const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() - i, 12);
    days.push(localDay(d.toISOString()));
  }
  const today = days[days.length - 1];
  const byDay = new Map<string, Order[]>(days.map((d) => [d, []]));
  for (const o of orders) byDay.get(localDay(o.created_at))?.push(o);
  const recentOrders = days.flatMap((d) => byDay.get(d) ?? []);
  return {
    today: stats(byDay.get(today) ?? []),
    last_30_days: stats(recentOrders),
    daily: days.map((day) => {
      const s = stats(byDay.get(day) ?? []);
      return { day, orders: s.orders, revenue: s.revenue };
    }),
    attention: orders.filter((o) => attentionReason(o) !== null).slice(0, 10),
    projections: [],
    recent: orders.slice(0, 8),
  };
}

export interface LoadedSummary {
  summary: AdminSummary;
  /** "server", or "browser" with how many orders it looked at. */
  source: 'server' | 'browser';
  sampled: number;
}

export async function loadSummary(signal?: AbortSignal): Promise<LoadedSummary> {
  try {
    return { summary: await api.adminSummary(signal), source: 'server', sampled: 0 };
  } catch (err) {
    if (!isMissingRoute(err)) throw err;
  }
  const orders = await fetchOrders(SUMMARY_ORDER_LIMIT, signal);
  return { summary: summarizeOrders(orders), source: 'browser', sampled: orders.length };
}
