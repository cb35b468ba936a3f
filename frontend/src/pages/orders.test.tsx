import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { PaymentEvent } from '../api';
import { toastSettings } from '../components/Toasts';
import { eventStream } from '../test/fakeServer';
import { admin, entry, OID, order, paidHistory, shopper, support } from '../test/fixtures';
import { renderApp, server, signIn, useFakeServer } from '../test/render';

useFakeServer();

function orderRoutes(history = paidHistory, payments: PaymentEvent[] = []) {
  server.on('GET', `/orders/${OID}/history`, () => ({ body: { order_id: OID, items: history } }));
  server.on('GET', `/orders/${OID}/payments`, () => ({ body: { order_id: OID, items: payments } }));
}

describe('shopper order page', () => {
  it('tells the story in words: no event names, no Stripe ids, money as money', async () => {
    signIn(shopper);
    server.on('GET', `/orders/${OID}`, { body: order() });
    orderRoutes();
    renderApp(`/orders/${OID}`);
    expect(await screen.findByRole('heading', { name: 'Order #A1B2C3D4' })).toBeTruthy();
    const timeline = await screen.findAllByTestId('history-entry');
    expect(timeline.map((li) => li.querySelector('.timeline-title')!.textContent)).toEqual([
      'Order placed',
      'Waiting for payment',
      'Payment received',
    ]);
    const text = document.querySelector('.order-page')!.textContent!;
    expect(text).toContain('3 items, total €14.97');
    expect(text).not.toMatch(/pi_123|evt_9|PaymentSucceeded|14\.97 EUR|Version/);
    expect(screen.getByTestId('order-status').textContent).toBe('Paid');
    expect(screen.queryByText('Technical detail')).toBeNull();
    expect(screen.queryByRole('heading', { name: 'Payment timeline' })).toBeNull();
  });

  it('follows the order stream: a fulfilment shows without a reload', async () => {
    signIn(shopper);
    const stream = eventStream();
    let history = paidHistory;
    server.on('GET', `/orders/${OID}/stream`, (req) => {
      expect(req.headers.authorization).toBe('Bearer token-ann');
      return stream.response;
    });
    orderRoutes();
    server.on('GET', `/orders/${OID}/history`, () => ({ body: { order_id: OID, items: history } }));
    renderApp(`/orders/${OID}`);
    await act(async () => stream.push(order()));
    expect((await screen.findByTestId('order-status')).textContent).toBe('Paid');
    history = [...paidHistory, entry(5, 'OrderFulfilled', { tracking_note: 'DHL 42' }, { actor: 'admin' })];
    await act(async () => {
      stream.comment('ping');
      stream.push(order({ status: 'fulfilled', tracking_note: 'DHL 42', version: 5 }));
    });
    await waitFor(() => expect(screen.getByTestId('order-status').textContent).toBe('Shipped'));
    expect(screen.getByTestId('tracking-note').textContent).toBe('DHL 42');
    await screen.findByText('Tracking: DHL 42');
    expect(server.sent('GET', `/orders/${OID}`)).toHaveLength(0); // no polling while streaming
  });

  it('polls every second-ish where the server has no stream', async () => {
    signIn(shopper);
    let current = order({ status: 'paid' });
    server.on('GET', `/orders/${OID}`, () => ({ body: current }));
    orderRoutes();
    renderApp(`/orders/${OID}`);
    expect((await screen.findByTestId('order-status')).textContent).toBe('Paid');
    current = order({ status: 'refunded', amount_refunded: 1497, version: 6 });
    await waitFor(() => expect(screen.getByTestId('order-status').textContent).toBe('Refunded'));
    expect(server.sent('GET', `/orders/${OID}/stream`).length).toBe(1); // tried once, remembered
  });

  it('stops polling while the tab is hidden and catches up when it shows again', async () => {
    signIn(shopper);
    let current = order({ status: 'paid' });
    server.on('GET', `/orders/${OID}`, () => ({ body: current }));
    orderRoutes();
    renderApp(`/orders/${OID}`);
    expect((await screen.findByTestId('order-status')).textContent).toBe('Paid');
    const visibility = vi.spyOn(document, 'visibilityState', 'get').mockReturnValue('hidden');
    await new Promise((r) => setTimeout(r, 100)); // let a poll in flight finish
    const before = server.sent('GET', `/orders/${OID}`).length;
    current = order({ status: 'fulfilled', version: 5 });
    await new Promise((r) => setTimeout(r, 200)); // several poll intervals (30 ms in tests)
    expect(server.sent('GET', `/orders/${OID}`).length).toBe(before);
    expect(screen.getByTestId('order-status').textContent).toBe('Paid');
    visibility.mockReturnValue('visible');
    await act(async () => {
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await waitFor(() => expect(screen.getByTestId('order-status').textContent).toBe('Shipped'));
  });

  it('offers to pay again after a declined card, and cancels only after confirming', async () => {
    signIn(shopper);
    let current = order({ status: 'payment_failed' });
    server.on('GET', `/orders/${OID}`, () => ({ body: current }));
    server.on('POST', `/orders/${OID}/cancel`, () => {
      current = order({ status: 'cancelled', version: 6 });
      return { body: { id: OID, status: 'cancelled', version: 6 } };
    });
    orderRoutes([entry(1, 'OrderPlaced'), entry(2, 'PaymentFailed', { reason: 'Your card was declined.' }, { actor: 'stripe' })]);
    renderApp(`/orders/${OID}`);
    expect(await screen.findByRole('link', { name: 'Try paying again' })).toBeTruthy();
    const cancel = screen.getByRole('button', { name: 'Cancel order' });
    cancel.focus();
    fireEvent.click(cancel);
    const dialog = await screen.findByRole('dialog', { name: 'Cancel Order #A1B2C3D4?' });
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Keep order' }));
    fireEvent.keyDown(dialog, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(document.activeElement).toBe(cancel);
    expect(server.sent('POST', `/orders/${OID}/cancel`)).toHaveLength(0);

    fireEvent.click(cancel);
    fireEvent.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Cancel order' }));
    await waitFor(() => expect(screen.getByTestId('order-status').textContent).toBe('Cancelled'));
    expect(server.sent('POST', `/orders/${OID}/cancel`)).toHaveLength(1);
    expect(screen.getByTestId('toast').textContent).toContain('Order #A1B2C3D4 was cancelled.');
  });
});

describe('staff order page', () => {
  const payments: PaymentEvent[] = [
    { source: 'stripe', ref: 'evt_9', type: 'payment_intent.succeeded', at: '2026-01-02T10:00:03Z', duplicate: false, amount: 1497, currency: 'EUR', summary: 's' },
    { source: 'stripe', ref: 'evt_9', type: 'payment_intent.succeeded', at: '2026-01-02T10:00:04Z', duplicate: true, amount: 1497, currency: 'EUR', summary: 's' },
    { source: 'reconciliation', ref: 'pi_123', type: 'payment_intent.succeeded', at: '2026-01-02T10:00:05Z', duplicate: false, amount: 1497, currency: 'EUR', summary: 's' },
  ];

  it('shows the customer, technical detail on demand, and marks duplicates and reconciliation', async () => {
    signIn(support);
    server.on('GET', `/orders/${OID}`, { body: order({ number: '1042', customer: { username: 'ann', email: 'ann@example.com' } }) });
    orderRoutes(
      [...paidHistory, entry(5, 'RefundSettled', { amount_refunded: 250 }, { actor: 'reconciliation', source: 'reconciliation' })],
      payments,
    );
    renderApp(`/admin/orders/${OID}`);
    expect(await screen.findByRole('heading', { name: 'Order #1042' })).toBeTruthy();
    expect(screen.getByTestId('order-customer').textContent).toBe('annann@example.com');
    const entries = await screen.findAllByTestId('history-entry');
    expect(entries.map((e) => e.dataset.type)).toContain('StripeEventReceived');
    const stripe = entries.find((e) => e.dataset.type === 'StripeEventReceived')!;
    expect(within(stripe).getByText('Technical detail')).toBeTruthy();
    expect(stripe.querySelector('details')!.textContent).toContain('evt_9');
    const reconciled = entries.find((e) => e.dataset.type === 'RefundSettled')!;
    expect(reconciled.querySelector('.timeline-actor .badge')!.textContent).toBe('reconciliation');
    const rows = screen.getAllByTestId('payment-row');
    expect(rows.map((r) => [r.dataset.source, r.dataset.duplicate])).toEqual([
      ['stripe', 'false'],
      ['stripe', 'true'],
      ['reconciliation', 'false'],
    ]);
    expect(within(rows[1]).getByText('duplicate')).toBeTruthy();
    expect(screen.getByText('Support view: read-only.')).toBeTruthy();
    expect(screen.queryByRole('heading', { name: 'Actions' })).toBeNull();
    expect(document.body.textContent).not.toMatch(/Version/);
  });

  it('refunds only after confirming, with a toast that goes away by itself', async () => {
    toastSettings.durationMs = 600;
    signIn(admin);
    server.on('GET', `/orders/${OID}`, { body: order() });
    orderRoutes();
    server.on('POST', `/orders/${OID}/refunds`, { status: 202, body: { refund_id: 'r1', order_id: OID, amount: 250, state: 'submitted', stripe_refund_id: 're_1' } });
    renderApp(`/admin/orders/${OID}`);
    fireEvent.change(await screen.findByLabelText('Refund amount (EUR)'), { target: { value: '2.50' } });
    fireEvent.click(screen.getByRole('button', { name: 'Refund' }));
    const dialog = await screen.findByRole('dialog', { name: 'Refund €2.50?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Refund €2.50' }));
    const toast = await screen.findByTestId('toast');
    expect(toast.textContent).toContain('Refund of €2.50 sent to Stripe');
    expect(server.sent('POST', `/orders/${OID}/refunds`)[0].body).toEqual({ amount: 250 });
    await waitFor(() => expect(screen.queryByTestId('toast')).toBeNull(), { timeout: 3000 });
  });

  it('says what is wrong with a refund amount next to the field', async () => {
    signIn(admin);
    server.on('GET', `/orders/${OID}`, { body: order() });
    orderRoutes();
    renderApp(`/admin/orders/${OID}`);
    fireEvent.change(await screen.findByLabelText('Refund amount (EUR)'), { target: { value: '99' } });
    fireEvent.click(screen.getByRole('button', { name: 'Refund' }));
    expect((await screen.findByText(/can still be refunded/)).textContent).toBe('At most €14.97 can still be refunded.');
    expect(screen.queryByRole('dialog')).toBeNull();
  });
});

describe('time travel', () => {
  it('steps through the order’s states and highlights what changed', async () => {
    signIn(admin);
    const history = [
      entry(1, 'OrderPlaced', { total: 1497 }),
      entry(2, 'PaymentFailed', { reason: 'declined' }, { actor: 'stripe' }),
      entry(3, 'ReservationReleased', {}, { actor: 'stripe' }),
    ];
    const states: Record<number, ReturnType<typeof order>> = {
      1: order({ status: 'pending_payment', version: 1 }),
      2: order({ status: 'payment_failed', version: 2 }),
      3: order({ status: 'payment_failed', version: 3 }),
    };
    server.on('GET', `/orders/${OID}`, (req) => {
      const version = req.query.get('version');
      return { body: states[version ? Number(version) : 3] };
    });
    orderRoutes(history);
    renderApp(`/admin/orders/${OID}`);
    const tt = await screen.findByTestId('time-travel');
    await waitFor(() => expect(within(tt).getByTestId('tt-changes').textContent).toBe('Changed: stock held.'));
    expect(within(tt).getByTestId('tt-stock').textContent).toContain('No, released');
    fireEvent.click(within(tt).getByRole('button', { name: '← Earlier' }));
    await waitFor(() => expect(within(tt).getByTestId('tt-changes').textContent).toBe('Changed: status.'));
    expect(within(tt).getByTestId('tt-status').querySelector('[data-changed=true]')!.textContent).toContain('Payment failed');
    fireEvent.change(within(tt).getByTestId('tt-slider'), { target: { value: '1' } });
    await waitFor(() => expect(within(tt).getByTestId('tt-status').textContent).toContain('Awaiting payment'));
    expect(within(tt).getByTestId('tt-step').textContent).toContain('Step 1 of 3: Order placed');
    // Each state is the order after its Nth event: GET /orders/{id}?version=N.
    const versions = server.calls.filter((c) => c.query.has('version')).map((c) => c.query.get('version'));
    expect(new Set(versions)).toEqual(new Set(['1', '2', '3']));
    expect(server.calls.some((c) => c.query.has('as_of'))).toBe(false);
  });
});

describe('order lists', () => {
  it('shows customers by name and searches on the server', async () => {
    signIn(admin);
    server.on('GET', '/orders', (req) => ({
      body: {
        items: req.query.get('q') === 'ann' ? [order({ number: '1042', customer: { username: 'ann', email: 'ann@example.com' } })] : [],
        total: req.query.get('q') === 'ann' ? 1 : 0,
        limit: 20,
        offset: 0,
      },
    }));
    renderApp('/admin/orders?q=ann&status=paid&sort=total_desc');
    const row = await screen.findByTestId('order-row');
    expect(within(row).getByRole('link', { name: 'Order #1042' })).toBeTruthy();
    expect(within(row).getByTestId('order-customer').textContent).toBe('annann@example.com');
    expect(within(row).getByTestId('order-status').textContent).toBe('Paid');
    const q = server.sent('GET', '/orders')[0].query;
    expect([q.get('q'), q.get('status'), q.get('sort')]).toEqual(['ann', 'paid', 'total_desc']);
    expect((screen.getByLabelText('Find orders') as HTMLInputElement).value).toBe('ann');
  });
});
