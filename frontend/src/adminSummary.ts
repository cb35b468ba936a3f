// The admin home's numbers: GET /admin/summary (the server's daily-sales view, UTC days).
import { api, type AdminSummary, type Order } from './api';

/** Why an order needs someone's attention, or null. */
export function attentionReason(order: Order): string | null {
  if (order.dispute === 'open') return 'Payment disputed';
  if (order.status === 'needs_stock') return 'Waiting for stock';
  if (order.status === 'paid' || order.status === 'partially_refunded') return 'Ready to ship';
  if (order.status === 'payment_failed') return 'Payment failed';
  return null;
}

export interface LoadedSummary {
  summary: AdminSummary;
}

export async function loadSummary(signal?: AbortSignal): Promise<LoadedSummary> {
  return { summary: await api.adminSummary(signal) };
}
