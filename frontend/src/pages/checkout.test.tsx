import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { renderApp, server, signIn, useFakeServer } from '../test/render';
import { OID, PID, shopper } from '../test/fixtures';

useFakeServer();

const GERMANY = { code: 'DE', name: 'Germany', regions: [], region_required: false, postal_code_required: true };
const CART = {
  items: [{ product_id: PID, name: 'Teapot', unit_price: 1999, currency: 'EUR', quantity: 2, line_total: 3998, available: true }],
  total: 3998,
  currency: 'EUR',
  count: 2,
};
const STANDARD = { id: 'm1', name: 'Standard', price: 490, currency: 'EUR', free_above: null, min_days: 2, max_days: 4 };
const QUOTE = {
  subtotal: 3998,
  discount: 400,
  shipping: 490,
  tax: 652,
  total: 4088,
  currency: 'EUR',
  tax_by_rate: [{ rate_bp: 1900, amount: 652 }],
  shipping_method: STANDARD,
  discount_code: 'SAVE10',
  lines: [{ product_id: PID, name: 'Teapot', unit_price: 1999, quantity: 2, discount: 400, tax: 574, rate_bp: 1900 }],
};

function shopThatShips() {
  server.on('GET', '/config', {
    body: { currency: 'EUR', stripe_publishable_key: 'pk_test_x', dev_payments: true, prices_include_tax: true, ships_to: [GERMANY] },
  });
  server.on('GET', '/cart', { body: CART });
  server.on('GET', '/me/addresses', { body: { items: [] } });
  server.on('GET', '/shipping-methods', (req) => {
    expect(req.query.get('country')).toBe('DE');
    return { body: { items: [STANDARD] } };
  });
}

function fill(label: RegExp, value: string) {
  fireEvent.change(screen.getByLabelText(label), { target: { value } });
}

describe('checkout in steps', () => {
  it('takes an address, a shipping method and a code, shows every figure, and pays the total', async () => {
    signIn(shopper);
    shopThatShips();
    server.on('POST', '/checkout/quote', (req) => {
      const body = req.body as Record<string, unknown>;
      if (!body.shipping_method_id) {
        return { status: 422, body: { detail: 'shipping_method_id: choose a shipping method', errors: [{ field: 'shipping_method_id', message: 'choose a shipping method', loc: [], type: 'value_error' }] } };
      }
      if (body.discount_code === 'NOPE') {
        return { status: 422, body: { detail: 'discount_code: NOPE is not a valid code', errors: [{ field: 'discount_code', message: 'NOPE is not a valid code', loc: [], type: 'value_error' }] } };
      }
      return { body: body.discount_code ? QUOTE : { ...QUOTE, discount: 0, total: 4488, discount_code: null } };
    });
    const book: unknown[] = [];
    server.on('GET', '/me/addresses', () => ({ body: { items: book } }));
    server.on('POST', '/me/addresses', (req) => {
      const saved = { line2: '', region: '', phone: '', ...(req.body as object), id: 'a1', default: true };
      book.push(saved);
      return { status: 201, body: saved };
    });
    server.on('POST', '/checkout', { status: 201, body: { order_id: OID, status: 'pending_payment', amount: 4088, currency: 'EUR', total: 4088, client_secret: 'pi_1_secret', payment_intent_id: 'pi_1' } });
    server.on('GET', `/orders/${OID}`, { status: 404, body: { detail: 'not yet' } });
    renderApp('/checkout');

    expect((await screen.findByTestId('checkout-step')).textContent).toBe('Address');
    fill(/Full name/, 'Anna Schmidt');
    fill(/Street and number/, 'Unter den Linden 1');
    fill(/Postal code/, '10117');
    fill(/^City/, 'Berlin');
    fireEvent.change(screen.getByLabelText('Country'), { target: { value: 'DE' } });
    fireEvent.click(screen.getByRole('button', { name: 'Continue to shipping' }));

    await waitFor(() => expect(screen.getByTestId('checkout-step').textContent).toBe('Shipping'));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("checkout-step"))); // focus follows the step
    expect(server.sent('POST', '/me/addresses')[0].body).toMatchObject({ city: 'Berlin', country: 'DE' });
    const option = screen.getByTestId('shipping-option');
    expect(within(option).getByRole('radio')).toHaveProperty('checked', true);
    fireEvent.click(screen.getByRole('button', { name: 'Continue to review' }));

    await waitFor(() => expect(screen.getByTestId('checkout-step').textContent).toBe('Review and pay'));
    expect(screen.getByTestId('figure-total').textContent).toBe('€44.88');
    fill(/Discount code/, 'nope');
    fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    expect(await screen.findByText('NOPE is not a valid code.')).toBeTruthy();
    fill(/Discount code/, 'save10');
    fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    await waitFor(() => expect(screen.getByTestId('figure-total').textContent).toBe('€40.88'));
    expect(screen.getByTestId('figure-discount').textContent).toBe('−€4.00');
    expect(screen.getByTestId('figure-shipping').textContent).toBe('€4.90');
    expect(screen.getByTestId('figure-tax-1900').textContent).toBe('€6.52');
    expect(screen.getByText('Includes tax 19 %')).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Place order and pay' }));
    await waitFor(() => expect(server.sent('POST', '/checkout')).toHaveLength(1));
    const placed = server.sent('POST', '/checkout')[0];
    expect(placed.body).toEqual({ address_id: 'a1', shipping_method_id: 'm1', discount_code: 'SAVE10' });
    expect(placed.headers['idempotency-key']).toBeTruthy();
  });

  it('puts the server\'s address errors beside their fields', async () => {
    signIn(shopper);
    shopThatShips();
    server.on('POST', '/checkout/quote', {
      status: 422,
      body: {
        detail: 'shipping_address.postal_code: is not a postal code of Germany',
        errors: [{ field: 'shipping_address.postal_code', message: 'is not a postal code of Germany', loc: [], type: 'value_error' }],
      },
    });
    renderApp('/checkout');
    await screen.findByTestId('checkout-step');
    fill(/Postal code/, '1');
    fireEvent.click(screen.getByRole('button', { name: 'Continue to shipping' }));
    expect(await screen.findByText('Postal code is not a postal code of Germany.')).toBeTruthy();
    expect(screen.getByLabelText(/Postal code/).getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByTestId('checkout-step').textContent).toBe('Address');
  });

  it('goes straight to the review where the shop sells without shipping', async () => {
    signIn(shopper);
    server.on('GET', '/cart', { body: CART });
    server.on('GET', '/me/addresses', { body: { items: [] } });
    server.on('POST', '/checkout/quote', { body: { ...QUOTE, discount: 0, shipping: 0, tax: 0, total: 3998, tax_by_rate: [], shipping_method: null, discount_code: null } });
    renderApp('/checkout');
    expect((await screen.findByTestId('checkout-step')).textContent).toBe('Review and pay');
    await waitFor(() => expect(screen.getByTestId('figure-total').textContent).toBe('€39.98'));
    expect(screen.getByTestId('figure-shipping').textContent).toBe('Free');
    expect(screen.queryByRole('list', { name: 'Checkout steps' })).toBeNull();
  });
});
