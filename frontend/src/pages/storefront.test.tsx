import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { PENDING_KEY } from '../cart';
import { renderApp, server, signIn, useFakeServer } from '../test/render';
import { PID, product, shopper } from '../test/fixtures';

useFakeServer();

const image = { id: 'img1', url: '/media/1.webp', thumbnail_url: '/media/1-thumb.webp', width: 800, height: 800, content_type: 'image/webp' };

describe('product page', () => {
  it('shows pictures, description, price and stock, and adds the chosen quantity', async () => {
    signIn(shopper);
    server.on('GET', `/products/${PID}`, {
      body: product({ images: [image, { ...image, id: 'img2', url: '/media/2.webp', thumbnail_url: '/media/2-thumb.webp' }] }),
      headers: { ETag: '"1"' },
    });
    server.on('POST', '/cart', { status: 201, body: { product_id: PID, quantity: 3 } });
    renderApp(`/products/${PID}`);
    expect(await screen.findByRole('heading', { name: 'Teapot' })).toBeTruthy();
    expect(screen.getByTestId('product-price').textContent).toBe('€19.99');
    expect(screen.getByTestId('product-stock').textContent).toBe('5 in stock');
    expect(screen.getByTestId('product-description').textContent).toBe('Short and stout');
    const main = screen.getByRole('img', { name: 'Teapot' }) as HTMLImageElement;
    expect(main.getAttribute('src')).toBe('/media/1.webp');
    fireEvent.click(screen.getByRole('button', { name: 'Picture 2 of 2' }));
    expect((screen.getByRole('img', { name: 'Teapot' }) as HTMLImageElement).getAttribute('src')).toBe('/media/2.webp');

    const increase = screen.getByRole('button', { name: 'Increase quantity' });
    fireEvent.click(increase);
    fireEvent.click(increase);
    expect((screen.getByLabelText('Quantity') as HTMLInputElement).value).toBe('3');
    fireEvent.click(screen.getByRole('button', { name: 'Add to cart' }));
    expect(await screen.findByText(/Added 3 × Teapot to your cart/)).toBeTruthy();
    expect(server.sent('POST', '/cart')[0].body).toEqual({ product_id: PID, quantity: 3 });
  });

  it('keeps the stepper inside the stock and shows a letter tile without pictures', async () => {
    server.on('GET', `/products/${PID}`, { body: product({ stock: 2 }) });
    renderApp(`/products/${PID}`);
    await screen.findByRole('heading', { name: 'Teapot' });
    expect(screen.getByTestId('letter-tile').textContent).toBe('T');
    expect(screen.getByTestId('product-stock').textContent).toBe('Only 2 left');
    const input = screen.getByLabelText('Quantity') as HTMLInputElement;
    fireEvent.change(input, { target: { value: '9' } });
    fireEvent.blur(input);
    expect(input.value).toBe('2');
    expect((screen.getByRole('button', { name: 'Increase quantity' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('says so when the product is gone', async () => {
    server.on('GET', `/products/${PID}`, { status: 404, body: { detail: 'product not found' } });
    renderApp(`/products/${PID}`);
    expect(await screen.findByRole('heading', { name: 'Product not found' })).toBeTruthy();
  });
});

describe('anonymous add to cart', () => {
  it('asks to sign in, then adds the item and counts it in the header', async () => {
    let cart = { items: [] as unknown[], total: 0, currency: 'EUR' };
    server.on('GET', `/products/${PID}`, { body: product() });
    server.on('GET', '/cart', () => ({ body: cart }));
    server.on('POST', '/login', { body: { access_token: 'tok', token_type: 'bearer', expires_in: 3600 } });
    server.on('POST', '/cart', (req) => {
      cart = {
        items: [{ product_id: PID, name: 'Teapot', unit_price: 1999, currency: 'EUR', quantity: 2, line_total: 3998, available: true }],
        total: 3998,
        currency: 'EUR',
      };
      return { status: 201, body: req.body };
    });
    renderApp(`/products/${PID}`);
    await screen.findByRole('heading', { name: 'Teapot' });
    fireEvent.click(screen.getByRole('button', { name: 'Increase quantity' }));
    fireEvent.click(screen.getByRole('button', { name: 'Add to cart' }));

    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeTruthy();
    expect(screen.getByText(/to add/).textContent).toContain('Teapot');
    expect(JSON.parse(sessionStorage.getItem(PENDING_KEY)!)).toEqual({ product_id: PID, name: 'Teapot', quantity: 2 });
    expect(server.sent('POST', '/cart')).toHaveLength(0);

    server.on('GET', '/protected', { body: shopper });
    fireEvent.change(screen.getByLabelText('Username or email'), { target: { value: 'ann' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'secret-123' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByText('Added 2 × Teapot to your cart.')).toBeTruthy();
    expect(server.sent('POST', '/cart')[0].body).toEqual({ product_id: PID, quantity: 2 });
    await waitFor(() => expect(screen.getByTestId('cart-count').textContent).toBe('2'));
    expect(screen.getByRole('heading', { name: 'Teapot' })).toBeTruthy(); // back on the product page
    expect(sessionStorage.getItem(PENDING_KEY)).toBeNull();
  });
});

describe('catalog search', () => {
  it('sends the URL’s search to the API and keeps sort changes in the URL', async () => {
    server.on('GET', '/products', (req) => ({
      body: {
        items: [product({ images: [] })].filter(() => req.query.get('q') === 'tea'),
        total: req.query.get('q') === 'tea' ? 1 : 0,
        limit: 12,
        offset: 0,
      },
    }));
    renderApp('/?q=tea&min_price=10&max_price=25.50');
    expect(await screen.findByRole('heading', { name: 'Results for “tea”' })).toBeTruthy();
    await screen.findByText('1 result');
    const sent = server.sent('GET', '/products')[0].query;
    expect([sent.get('q'), sent.get('sort'), sent.get('min_price'), sent.get('max_price')]).toEqual(['tea', 'relevance', '1000', '2550']);
    fireEvent.change(screen.getByLabelText('Sort by'), { target: { value: 'price_desc' } });
    await waitFor(() => expect(server.sent('GET', '/products').at(-1)!.query.get('sort')).toBe('price_desc'));
    expect(within(screen.getByRole('search')).getByRole('searchbox')).toHaveProperty('value', 'tea');
  });

  it('rejects an unreadable price filter in words', async () => {
    server.on('GET', '/products', { body: { items: [], total: 0, limit: 12, offset: 0 } });
    renderApp('/');
    await screen.findByText('No products yet.');
    fireEvent.change(screen.getByLabelText('Lowest price (EUR)'), { target: { value: '20' } });
    fireEvent.change(screen.getByLabelText('Highest price (EUR)'), { target: { value: '10' } });
    fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    expect((await screen.findByRole('alert')).textContent).toBe('The lowest price is above the highest.');
  });
});

describe('cart', () => {
  const line = { product_id: PID, name: 'Teapot', unit_price: 1999, currency: 'EUR', available: true };
  it('changes a quantity with the stepper and keeps the header count right', async () => {
    signIn(shopper);
    let quantity = 2;
    server.on('GET', '/cart', () => ({
      body: { items: quantity ? [{ ...line, quantity, line_total: 1999 * quantity }] : [], total: 1999 * quantity, currency: 'EUR', count: quantity },
    }));
    server.on('PUT', '/cart/:id', (req) => {
      quantity = (req.body as { quantity: number }).quantity;
      return { body: { product_id: PID, quantity } };
    });
    renderApp('/cart');
    await screen.findByTestId('cart-line');
    await waitFor(() => expect(screen.getByTestId('cart-count').textContent).toBe('2'));
    fireEvent.click(screen.getByRole('button', { name: 'Increase quantity of Teapot' }));
    await waitFor(() => expect(screen.getByTestId('cart-total').textContent).toBe('€59.97'));
    expect(screen.getByTestId('cart-count').textContent).toBe('3');
    expect(server.sent('PUT', `/cart/${PID}`)[0].body).toEqual({ quantity: 3 });
        fireEvent.click(screen.getByRole('button', { name: 'Remove Teapot' }));
    expect(await screen.findByText('Your cart is empty.')).toBeTruthy();
    expect(server.sent('PUT', `/cart/${PID}`)[1].body).toEqual({ quantity: 0 });
    expect(screen.queryByTestId('cart-count')).toBeNull();
  });
});

describe('register', () => {
  it('shows each problem next to its field in plain words', async () => {
    server.on('POST', '/register', {
      status: 422,
      body: {
        detail: [
          { loc: ['body', 'username'], msg: 'String should have at least 3 characters', type: 'string_too_short' },
          { loc: ['body', 'email'], msg: 'value is not a valid email address: An email address must have an @-sign.', type: 'value_error' },
          { loc: ['body', 'password'], msg: 'String should have at least 8 characters', type: 'string_too_short' },
        ],
      },
    });
    renderApp('/register');
    fireEvent.change(await screen.findByLabelText('Username'), { target: { value: 'ab' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create account' }));
    const username = screen.getByLabelText('Username');
    await waitFor(() => expect(username.getAttribute('aria-invalid')).toBe('true'));
    const errorOf = (el: HTMLElement) => document.getElementById(el.getAttribute('aria-describedby')!.split(' ')[0])!.textContent;
    expect(errorOf(username)).toBe('Username must be at least 3 characters long.');
    expect(errorOf(screen.getByLabelText('Email'))).toBe('Enter a valid email address, like name@example.com.');
    expect(errorOf(screen.getByLabelText('Password'))).toBe('Password must be at least 8 characters long.');
    expect(document.activeElement).toBe(username);
    expect(screen.queryByText(/String should/)).toBeNull();
  });

  it('explains a taken account above the form', async () => {
    server.on('POST', '/register', { status: 409, body: { detail: 'username or email is already registered' } });
    renderApp('/register');
    fireEvent.click(await screen.findByRole('button', { name: 'Create account' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/already has an account/);
  });
});

describe('sign in', () => {
  it('sends admins to their dashboard', async () => {
    server.on('POST', '/login', { body: { access_token: 'tok', token_type: 'bearer', expires_in: 3600 } });
    const stats = { orders: 0, revenue: [], by_status: {} };
    server.on('GET', '/admin/summary', {
      body: { today: stats, last_30_days: stats, daily: [], attention: [], projections: [], recent: [] },
    });
    renderApp('/login');
    server.on('GET', '/protected', { body: { ...shopper, username: 'boss', role: 'admin' } });
    fireEvent.change(await screen.findByLabelText('Username or email'), { target: { value: 'boss' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'secret-123' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('heading', { name: 'Dashboard' })).toBeTruthy();
  });

  it('says a wrong password in words, next to nothing else', async () => {
    server.on('POST', '/login', { status: 401, body: { detail: 'wrong username or password' } });
    renderApp('/login');
    fireEvent.change(await screen.findByLabelText('Username or email'), { target: { value: 'ann' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'nope' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toBe('That username or password is not right. Check them and try again.');
  });
});
