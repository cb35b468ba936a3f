// Shapes the API answers with, for component tests.
import type { HistoryEntry, Order, Product, User } from '../api';

export const UID = '11111111-2222-4333-8444-555555555555';
export const ADMIN_ID = '99999999-2222-4333-8444-555555555555';
export const OID = 'a1b2c3d4-0000-4000-8000-000000000001';
export const PID = 'p0000000-0000-4000-8000-000000000001';

export const shopper: User = { id: UID, username: 'ann', email: 'ann@example.com', role: 'shopper' };
export const admin: User = { id: ADMIN_ID, username: 'boss', email: 'boss@example.com', role: 'admin' };
export const support: User = { id: 'sss', username: 'sue', email: 'sue@example.com', role: 'support' };

export function product(over: Partial<Product> = {}): Product {
  return {
    id: PID,
    name: 'Teapot',
    description: 'Short and stout',
    price: 1999,
    currency: 'EUR',
    stock: 5,
    version: 1,
    created_at: '2026-01-01T10:00:00Z',
    updated_at: '2026-01-01T10:00:00Z',
    ...over,
  };
}

export function order(over: Partial<Order> = {}): Order {
  return {
    id: OID,
    user_id: UID,
    status: 'paid',
    lines: [{ product_id: PID, name: 'Teapot', unit_price: 499, quantity: 3, line_total: 1497 }],
    total: 1497,
    currency: 'EUR',
    amount_refunded: 0,
    payment_intent_id: 'pi_123',
    tracking_note: '',
    dispute: null,
    created_at: '2026-01-02T10:00:00Z',
    updated_at: '2026-01-02T10:00:05Z',
    version: 4,
    ...over,
  };
}

export function entry(version: number, type: string, data: Record<string, unknown> = {}, over: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    version,
    type,
    at: `2026-01-02T10:00:0${version}.123456Z`,
    actor: UID,
    summary: `${type} summary`,
    data,
    ...over,
  };
}

export const paidHistory: HistoryEntry[] = [
  entry(1, 'OrderPlaced', { total: 1497, currency: 'EUR', lines: [{ quantity: 3 }] }),
  entry(2, 'PaymentIntentCreated', { payment_intent_id: 'pi_123', amount: 1497, currency: 'EUR' }),
  entry(3, 'StripeEventReceived', { stripe_event_id: 'evt_9', stripe_type: 'payment_intent.succeeded' }, { actor: 'stripe' }),
  entry(4, 'PaymentSucceeded', { amount: 1497 }, { actor: 'stripe' }),
];
