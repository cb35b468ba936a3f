import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { AdminSummary } from '../api';
import { admin, order, PID, product } from '../test/fixtures';
import { renderApp, server, signIn, useFakeServer } from '../test/render';

useFakeServer();

describe('admin home', () => {
  it('shows today, 30 days, what needs attention, projection health and recent orders', async () => {
    signIn(admin);
    const summary: AdminSummary = {
      today: { orders: 3, revenue: [{ currency: 'EUR', amount: 4500 }], by_status: { paid: 2, pending_payment: 1 } },
      last_30_days: { orders: 40, revenue: [{ currency: 'EUR', amount: 99900 }, { currency: 'USD', amount: 500 }], by_status: { paid: 30 } },
      daily: Array.from({ length: 30 }, (_, i) => ({ day: `2026-03-${String(i + 1).padStart(2, '0')}`, orders: i % 3, revenue: [] })),
      attention: [order({ number: '1042', status: 'needs_stock', customer: { username: 'ann', email: 'ann@x.io' } })],
      projections: [
        { name: 'orders', position: 120, head: 120, lag: 0, state: 'running' },
        { name: 'catalog', position: 100, head: 120, lag: 20, state: 'catching up' },
      ],
      recent: [order({ number: '1043' })],
    };
    server.on('GET', '/admin/summary', { body: summary });
    renderApp('/admin');
    expect(await screen.findByRole('heading', { name: 'Dashboard' })).toBeTruthy();
    expect((await screen.findByTestId('stats-today-orders')).textContent).toBe('3');
    expect(screen.getByTestId('stats-today-revenue').textContent).toBe('€45.00');
    expect(screen.getByTestId('stats-30-days-revenue').textContent).toBe('€999.00 + $5.00');
    const attention = screen.getByTestId('attention-order');
    expect(attention.textContent).toContain('Order #1042');
    expect(attention.textContent).toContain('Waiting for stock');
    expect(attention.textContent).toContain('ann');
    const rows = within(screen.getByTestId('projections')).getAllByRole('row');
    expect(rows[2].textContent).toContain('20 events');
    expect(screen.getByTestId('recent-order').textContent).toContain('Order #1043');
    expect(screen.queryByTestId('summary-source')).toBeNull();
  });
});

describe('manage products', () => {
  const listing = (withImages: boolean) => ({
    body: { items: [product(withImages ? { images: [] } : {})], total: 1, limit: 20, offset: 0 },
  });

  it('asks before deleting, and reports with a toast', async () => {
    signIn(admin);
    server.on('GET', '/products', listing(false));
    server.on('DELETE', `/products/${PID}`, { status: 204 });
    renderApp('/admin/products');
    const del = await screen.findByRole('button', { name: 'Delete Teapot' });
    fireEvent.click(del);
    const dialog = await screen.findByRole('dialog', { name: 'Delete “Teapot”?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(server.sent('DELETE', `/products/${PID}`)).toHaveLength(0);
    fireEvent.click(del);
    fireEvent.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Delete product' }));
    expect((await screen.findByTestId('toast')).textContent).toContain('Deleted “Teapot”.');
    expect(server.sent('DELETE', `/products/${PID}`)[0].headers['if-match']).toBe('"1"');
    expect(document.body.textContent).not.toMatch(/Version/);
  });

  it('asks before selling for €0.00', async () => {
    signIn(admin);
    server.on('GET', '/products', listing(false));
    server.on('POST', '/products', (req) => ({ status: 201, body: product({ ...(req.body as object) }) }));
    renderApp('/admin/products');
    await screen.findByRole('heading', { name: 'New product' });
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Sample' } });
    fireEvent.change(screen.getByLabelText('Price'), { target: { value: '0' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create product' }));
    const dialog = await screen.findByRole('dialog', { name: 'Sell this product for free?' });
    expect(dialog.textContent).toContain('€0.00');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Change the price' }));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByLabelText('Price')));
    expect(server.sent('POST', '/products')).toHaveLength(0);
    fireEvent.click(screen.getByRole('button', { name: 'Create product' }));
    fireEvent.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Yes, it is free' }));
    await screen.findByText('Created “Sample”.');
    expect(server.sent('POST', '/products')[0].body).toMatchObject({ name: 'Sample', price: 0 });
  });

  it('shows form problems next to their fields', async () => {
    signIn(admin);
    server.on('GET', '/products', listing(false));
    renderApp('/admin/products');
    await screen.findByRole('heading', { name: 'New product' });
    fireEvent.change(screen.getByLabelText('Price'), { target: { value: '12.345' } });
    fireEvent.change(screen.getByLabelText('Stock'), { target: { value: '-1' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create product' }));
    const describedBy = (label: string) => document.getElementById(screen.getByLabelText(label).getAttribute('aria-describedby')!.split(' ')[0])!.textContent;
    expect(describedBy('Name')).toBe('Enter a product name.');
    expect(describedBy('Price')).toBe('Use at most 2 decimal places.');
    expect(describedBy('Stock')).toBe('Stock must be a whole number, 0 or more.');
    expect(document.activeElement).toBe(screen.getByLabelText('Name'));
  });

  it('uploads pictures where the server takes them, and checks type and size first', async () => {
    signIn(admin);
    server.on('GET', '/products', listing(true));
    server.on('GET', `/products/${PID}`, { body: product({ images: [] }), headers: { ETag: '"1"' } });
    server.on('POST', `/products/${PID}/images`, {
      status: 201,
      body: product({ version: 2, images: [{ id: 'i1', url: '/m/1.png', thumbnail_url: '/m/1t.png', width: 10, height: 10, content_type: 'image/png' }] }),
    });
    renderApp('/admin/products');
    fireEvent.click(await screen.findByRole('button', { name: 'Edit Teapot' }));
    const input = (await screen.findByLabelText('Add a picture')) as HTMLInputElement;
    fireEvent.change(input, { target: { files: [new File(['gif'], 'a.gif', { type: 'image/gif' })] } });
    expect(await screen.findByText('Choose a JPEG, PNG or WebP picture.')).toBeTruthy();
    expect(server.sent('POST', `/products/${PID}/images`)).toHaveLength(0);
    fireEvent.change(input, { target: { files: [new File(['png'], 'a.png', { type: 'image/png' })] } });
    expect(await screen.findByRole('img', { name: 'Picture 1 of Teapot' })).toBeTruthy();
    const sent = server.sent('POST', `/products/${PID}/images`)[0];
    expect((sent.body as FormData).get('file')).toBeInstanceOf(File);
  });

});
