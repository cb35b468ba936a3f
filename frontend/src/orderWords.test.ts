import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from './api';
import { actorLabel, customerName, describeEntry, humanize, orderNumber, orderTitle, statusLabel, statusTone, technicalIds } from './orderWords';

const e = (type: string, data: Record<string, unknown>, version = 1): HistoryEntry => ({
  version,
  type,
  at: '2026-01-01T00:00:00Z',
  actor: 'stripe',
  summary: `raw ${type}`,
  data,
});

describe('status words', () => {
  it('labels every status people see, with a colour', () => {
    expect(statusLabel('pending_payment')).toBe('Awaiting payment');
    expect(statusLabel('needs_stock')).toBe('Waiting for stock');
    expect(statusLabel('fulfilled')).toBe('Shipped');
    expect(statusLabel('partially_refunded')).toBe('Partly refunded');
    expect(statusLabel('refunded')).toBe('Refunded');
    expect(statusLabel('payment_failed')).toBe('Payment failed');
    expect(statusLabel('cancelled')).toBe('Cancelled');
    expect(statusLabel('paid')).toBe('Paid');
    expect(statusTone('payment_failed')).toBe('danger');
    expect(statusTone('pending_payment')).toBe('warning');
    expect(statusTone('fulfilled')).toBe('success');
  });

  it('turns an unknown status into words rather than showing the API name', () => {
    expect(statusLabel('on_hold')).toBe('On hold');
    expect(humanize('RefundOutcomeUnknown')).toBe('Refund outcome unknown');
  });
});

describe('order numbers and customers', () => {
  it('uses the API number, else the first 8 hex digits upper-cased', () => {
    expect(orderNumber({ id: 'a1b2c3d4-0000-4000-8000-000000000001' })).toBe('A1B2C3D4');
    expect(orderNumber({ id: 'x', number: '10042' })).toBe('10042');
    expect(orderTitle({ id: 'a1b2c3d4-0000' })).toBe('Order #A1B2C3D4');
  });

  it('names the customer by username and email when the API sends them', () => {
    expect(customerName({ user_id: 'u', customer: { username: 'ann', email: 'ann@x.io' } })).toEqual({ name: 'ann', email: 'ann@x.io' });
    expect(customerName({ user_id: 'abcdef12-3456' }).name).toBe('Customer ABCDEF12');
  });
});

describe('describeEntry', () => {
  it('says what happened in plain words with money in the currency’s format', () => {
    expect(describeEntry(e('PaymentSucceeded', { amount: 1497 }), 'EUR')).toMatchObject({ title: 'Payment received', detail: '€14.97' });
    expect(describeEntry(e('OrderPlaced', { total: 1497, lines: [{ quantity: 2 }, { quantity: 1 }] }), 'EUR').detail).toBe(
      '3 items, total €14.97',
    );
    expect(describeEntry(e('OrderFulfilled', { tracking_note: 'DHL 1' }), 'EUR')).toMatchObject({ title: 'Shipped', detail: 'Tracking: DHL 1' });
    expect(describeEntry(e('PaymentFailed', { reason: 'Your card was declined.' }), 'EUR').detail).toBe('Your card was declined.');
    expect(describeEntry(e('SomethingNew', {}), 'EUR').title).toBe('Something new');
  });

  it('uses each currency’s own decimals (JPY 0, KWD 3)', () => {
    expect(describeEntry(e('RefundRequested', { amount: 250 }), 'JPY').title).toBe('Refund of ¥250 requested');
    expect(describeEntry(e('RefundRequested', { amount: 2500 }), 'KWD').title).toMatch(/^Refund of KWD\s2\.500 requested$/);
  });

  it('names a sent refund’s amount from its request', () => {
    const history = [e('RefundRequested', { refund_id: 'r1', amount: 250 }, 5), e('RefundSubmitted', { refund_id: 'r1', stripe_refund_id: 're_1' }, 6)];
    const words = describeEntry(history[1], 'EUR', history);
    expect(words.title).toBe('Refund of €2.50 sent');
    expect(JSON.stringify(words)).not.toContain('re_1');
  });

  it('keeps Stripe’s own messages for staff and never shows ids in words', () => {
    const words = describeEntry(e('StripeEventReceived', { stripe_type: 'payment_intent.succeeded', stripe_event_id: 'evt_1' }), 'EUR');
    expect(words).toMatchObject({ title: 'Update from Stripe: payment succeeded', staffOnly: true });
    const created = describeEntry(e('PaymentIntentCreated', { payment_intent_id: 'pi_1', amount: 100 }), 'EUR');
    expect(JSON.stringify(created)).not.toContain('pi_1');
  });

  it('lists the technical ids for staff', () => {
    expect(technicalIds(e('StripeEventReceived', { stripe_event_id: 'evt_1', stripe_object_id: 'pi_1', amount: 3 }))).toEqual([
      ['stripe_event_id', 'evt_1'],
      ['stripe_object_id', 'pi_1'],
    ]);
  });
});

describe('actorLabel', () => {
  const order = { user_id: '11111111-1111-1111-1111-111111111111' };
  it('names the viewer, the customer, Stripe and the shop', () => {
    expect(actorLabel(order.user_id, order, { id: order.user_id })).toBe('you');
    expect(actorLabel(order.user_id, order, { id: 'someone-else' })).toBe('the customer');
    expect(actorLabel('stripe', order, null)).toBe('Stripe');
    expect(actorLabel('system', order, null)).toBe('the shop');
    expect(actorLabel('', order, null)).toBe('the shop');
  });
  it('shows staff as the shop team, not as an id', () => {
    expect(actorLabel('4faa28f4-7573-4c5c-b5f1-2bc6bc1d110b', order, null)).toBe('the shop team');
  });
});
