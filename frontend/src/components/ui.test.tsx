import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { Money, Pagination, StatusBadge } from './ui';

afterEach(() => cleanup());

describe('ui helpers', () => {
  it('Pagination moves by limit and disables the ends', () => {
    const onChange = vi.fn();
    render(<Pagination total={45} limit={20} offset={20} onChange={onChange} />);
    expect(screen.getByText(/Page 2 of 3/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: /Next page/ }));
    fireEvent.click(screen.getByRole('button', { name: /Previous page/ }));
    expect(onChange.mock.calls).toEqual([[40], [0]]);
    cleanup();
    render(<Pagination total={45} limit={20} offset={40} onChange={onChange} />);
    expect((screen.getByRole('button', { name: /Next page/ }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('Pagination is hidden for a single page', () => {
    const { container } = render(<Pagination total={3} limit={20} offset={0} onChange={() => undefined} />);
    expect(container.innerHTML).toBe('');
  });

  it('StatusBadge shows the status in words, coloured, with the API name in data-status', () => {
    render(<StatusBadge status="pending_payment" testId="order-status" />);
    const badge = screen.getByTestId('order-status');
    expect(badge.textContent).toBe('Awaiting payment');
    expect(badge.getAttribute('data-status')).toBe('pending_payment');
    expect(badge.className).toContain('tone-warning');
    cleanup();
    render(<StatusBadge status="fulfilled" testId="s" />);
    expect(screen.getByTestId('s').textContent).toBe('Shipped');
    expect(screen.getByTestId('s').className).toContain('tone-success');
  });

  it('Money formats minor units', () => {
    render(<Money amount={1234} currency="USD" />);
    expect(screen.getByText(/12\.34/)).toBeTruthy();
  });
});
