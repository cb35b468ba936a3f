import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import type { Stripe } from '@stripe/stripe-js';
import { describe, expect, it, vi } from 'vitest';
import StripePayment from '../components/StripePayment';
import { rememberClientSecret } from '../paymentSession';
import { stripeJs } from '../stripeLoader';
import { OID, order, shopper } from '../test/fixtures';
import { renderApp, server, signIn, useFakeServer } from '../test/render';

useFakeServer();

/** A stand-in for Stripe.js (which cannot load offline): just enough for Elements and the Payment Element. */
function fakeStripe(confirm: () => Promise<unknown>) {
  const element = { mount: vi.fn(), destroy: vi.fn(), on: vi.fn(), off: vi.fn(), update: vi.fn(), once: vi.fn() };
  const elements = { create: vi.fn(() => element), getElement: vi.fn(() => element), update: vi.fn(), submit: vi.fn() };
  const stripe = {
    elements: vi.fn(() => elements),
    createToken: vi.fn(),
    createPaymentMethod: vi.fn(),
    confirmCardPayment: vi.fn(),
    confirmPayment: vi.fn(confirm),
  };
  return { stripe, elements, element };
}

describe('Stripe Payment Element', () => {
  it('mounts the Payment Element with the client secret and confirms without leaving the page', async () => {
    const { stripe, elements, element } = fakeStripe(async () => ({ paymentIntent: { status: 'succeeded' } }));
    const onOutcome = vi.fn();
    render(
      <StripePayment
        publishableKey="pk_test_x"
        clientSecret="pi_1_secret_2"
        payLabel="Pay €14.97"
        onOutcome={onOutcome}
        stripe={Promise.resolve(stripe as unknown as Stripe)}
      />,
    );
    const pay = await screen.findByRole('button', { name: 'Pay €14.97' });
    await waitFor(() => expect(element.mount).toHaveBeenCalled());
    expect(stripe.elements).toHaveBeenCalledWith(expect.objectContaining({ clientSecret: 'pi_1_secret_2' }));
    expect(elements.create).toHaveBeenCalledWith('payment', expect.anything());
    await waitFor(() => expect((pay as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(pay);
    await waitFor(() => expect(onOutcome).toHaveBeenCalledWith({ kind: 'submitted', status: 'succeeded' }));
    expect(stripe.confirmPayment).toHaveBeenCalledWith(expect.objectContaining({ elements, redirect: 'if_required' }));
  });

  it('shows a decline and lets the shopper try again with another card', async () => {
    const results = [
      { error: { type: 'card_error', message: 'Your card was declined.' } },
      { paymentIntent: { status: 'processing' } },
    ];
    const { stripe } = fakeStripe(async () => results.shift());
    const onOutcome = vi.fn();
    render(
      <StripePayment publishableKey="pk" clientSecret="s" payLabel="Pay" onOutcome={onOutcome} stripe={Promise.resolve(stripe as unknown as Stripe)} />,
    );
    const pay = await screen.findByRole('button', { name: 'Pay' });
    await waitFor(() => expect((pay as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(pay);
    expect((await screen.findByRole('alert')).textContent).toBe('Your card was declined.');
    expect(onOutcome).toHaveBeenLastCalledWith({ kind: 'declined', message: 'Your card was declined.' });
    fireEvent.click(screen.getByRole('button', { name: 'Pay' }));
    await waitFor(() => expect(onOutcome).toHaveBeenLastCalledWith({ kind: 'submitted', status: 'processing' }));
    expect(screen.queryByRole('alert')).toBeNull();
    expect(stripe.confirmPayment).toHaveBeenCalledTimes(2);
  });

  it('says so when Stripe.js cannot load', async () => {
    render(<StripePayment publishableKey="pk" clientSecret="s" payLabel="Pay" onOutcome={vi.fn()} stripe={Promise.reject(new Error('offline'))} />);
    expect((await screen.findByRole('alert')).textContent).toMatch(/Stripe.js did not load/);
  });
});

describe('payment page', () => {
  it('offline, offers the labelled test-mode step and waits for Stripe’s webhook', async () => {
    signIn(shopper);
    let current = order({ status: 'pending_payment' });
    server.on('GET', `/orders/${OID}`, () => ({ body: current }));
    server.on('POST', `/dev/payments/${OID}/confirm`, () => {
      setTimeout(() => (current = order({ status: 'paid', version: 5 })), 50);
      return { status: 202, body: { payment_intent_id: 'pi_123', status: 'succeeded' } };
    });
    renderApp(`/orders/${OID}/pay`);
    expect(await screen.findByText('Test mode.')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Pay with test card' }));
    expect(await screen.findByText(/Waiting for Stripe to confirm it/)).toBeTruthy();
    expect(await screen.findByText('Payment received. Thank you for your order!')).toBeTruthy();
    expect(screen.getByTestId('order-status').textContent).toBe('Paid');
  });

  it('after a decline, the same order is paid with another card', async () => {
    signIn(shopper);
    let current = order({ status: 'pending_payment' });
    server.on('GET', `/orders/${OID}`, () => ({ body: current }));
    server.on('POST', `/dev/payments/${OID}/confirm`, (req) => {
      if (current.status === 'payment_failed') {
        expect(req.body).toEqual({ outcome: 'success' });
        current = order({ status: 'paid', version: 6 });
        return { status: 202, body: { payment_intent_id: 'pi_123', status: 'succeeded' } };
      }
      expect(req.body).toEqual({ outcome: 'decline' });
      current = order({ status: 'payment_failed', version: 5 });
      return { status: 202, body: { payment_intent_id: 'pi_123', status: 'requires_payment_method' } };
    });
    renderApp(`/orders/${OID}/pay`);
    fireEvent.click(await screen.findByRole('button', { name: 'Simulate declined card' }));
    expect((await screen.findByTestId('payment-declined')).textContent).toMatch(/declined.*try again/);
    await waitFor(() => expect(screen.getByTestId('order-status').textContent).toBe('Payment failed'));
    fireEvent.click(screen.getByRole('button', { name: 'Try again with test card' }));
    await waitFor(() => expect(screen.getByTestId('order-status').textContent).toBe('Paid'));
    expect(server.sent('POST', `/dev/payments/${OID}/confirm`)).toHaveLength(2);
    expect(server.sent('POST', `/orders/${OID}/cancel`)).toHaveLength(0);
  });

  it('opened from a payment link (no secret in this tab), asks the shop for the payment session', async () => {
    signIn(shopper);
    server.on('GET', '/config', { body: { currency: 'EUR', stripe_publishable_key: 'pk_live_x', dev_payments: false } });
    server.on('GET', `/orders/${OID}`, { body: order({ status: 'payment_failed' }) });
    server.on('POST', `/orders/${OID}/payment`, {
      body: { order_id: OID, payment_intent_id: 'pi_123', client_secret: 'pi_123_secret_link', amount: 1497, currency: 'EUR' },
    });
    const { stripe } = fakeStripe(async () => ({ paymentIntent: { status: 'succeeded' } }));
    vi.spyOn(stripeJs, 'load').mockResolvedValue(stripe as unknown as Stripe);
    renderApp(`/orders/${OID}/pay`);
    expect(await screen.findByRole('button', { name: 'Try again: pay €14.97' })).toBeTruthy();
    expect(server.sent('POST', `/orders/${OID}/payment`)).toHaveLength(1);
  });

  it('with a real Stripe account, mounts the Payment Element with the secret from checkout', async () => {
    signIn(shopper);
    server.on('GET', '/config', { body: { currency: 'EUR', stripe_publishable_key: 'pk_live_x', dev_payments: false } });
    server.on('GET', `/orders/${OID}`, { body: order({ status: 'pending_payment' }) });
    rememberClientSecret(OID, 'pi_123_secret_abc');
    const { stripe } = fakeStripe(async () => ({ paymentIntent: { status: 'succeeded' } }));
    const load = vi.spyOn(stripeJs, 'load').mockResolvedValue(stripe as unknown as Stripe);
    renderApp(`/orders/${OID}/pay`);
    expect(await screen.findByRole('button', { name: 'Pay €14.97' })).toBeTruthy();
    expect(load).toHaveBeenCalledWith('pk_live_x');
    await waitFor(() => expect(stripe.elements).toHaveBeenCalledWith(expect.objectContaining({ clientSecret: 'pi_123_secret_abc' })));
    expect(screen.queryByText('Test mode.')).toBeNull();
  });
});
