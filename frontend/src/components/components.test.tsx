import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useConfirm } from './Dialog';
import { QuantityStepper } from './QuantityStepper';
import { toastSettings, ToastProvider, useToast } from './Toasts';

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

function ConfirmHarness({ onResult }: { onResult: (ok: boolean) => void }) {
  const [confirm, dialog] = useConfirm();
  return (
    <div>
      <button type="button" onClick={async () => onResult(await confirm({ title: 'Sure?', body: 'Really', confirmLabel: 'Yes' }))}>
        Open
      </button>
      <a href="#x">Elsewhere</a>
      {dialog}
    </div>
  );
}

describe('confirm dialog', () => {
  it('traps focus, closes on Escape and gives focus back', async () => {
    const onResult = vi.fn();
    render(<ConfirmHarness onResult={onResult} />);
    const open = screen.getByRole('button', { name: 'Open' });
    open.focus();
    fireEvent.click(open);
    const dialog = await screen.findByRole('dialog', { name: 'Sure?' });
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    const cancel = screen.getByRole('button', { name: 'Cancel' });
    const yes = screen.getByRole('button', { name: 'Yes' });
    expect(document.activeElement).toBe(cancel);
    yes.focus();
    fireEvent.keyDown(yes, { key: 'Tab' });
    expect(document.activeElement).toBe(cancel);
    fireEvent.keyDown(cancel, { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(yes);
    await act(async () => {
      fireEvent.keyDown(dialog, { key: 'Escape' });
    });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(onResult).toHaveBeenCalledWith(false);
    expect(document.activeElement).toBe(open);
  });

  it('resolves true only from the confirm button', async () => {
    const onResult = vi.fn();
    render(<ConfirmHarness onResult={onResult} />);
    fireEvent.click(screen.getByRole('button', { name: 'Open' }));
    await act(async () => {
      fireEvent.click(await screen.findByRole('button', { name: 'Yes' }));
    });
    expect(onResult).toHaveBeenCalledWith(true);
  });
});

function ToastHarness() {
  const toast = useToast();
  return (
    <>
      <button type="button" onClick={() => toast.show('Saved.')}>
        Save
      </button>
      <button type="button" onClick={() => toast.show('Broke.', 'error')}>
        Break
      </button>
    </>
  );
}

describe('toasts', () => {
  it('go away by themselves (errors later) and can be dismissed', () => {
    vi.useFakeTimers();
    toastSettings.durationMs = 1000;
    render(
      <ToastProvider>
        <ToastHarness />
      </ToastProvider>,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    fireEvent.click(screen.getByRole('button', { name: 'Break' }));
    expect(screen.getAllByTestId('toast').map((t) => t.textContent)).toEqual(['Saved.×', 'Broke.×']);
    expect(screen.getByRole('alert').textContent).toContain('Broke.');
    act(() => vi.advanceTimersByTime(1100));
    expect(screen.getAllByTestId('toast').map((t) => t.textContent)).toEqual(['Broke.×']);
    fireEvent.click(screen.getByRole('button', { name: 'Dismiss message' }));
    expect(screen.queryByTestId('toast')).toBeNull();
  });

  it('wait while the pointer rests on them', () => {
    vi.useFakeTimers();
    toastSettings.durationMs = 1000;
    render(
      <ToastProvider>
        <ToastHarness />
      </ToastProvider>,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    fireEvent.mouseEnter(screen.getByTestId('toast'));
    act(() => vi.advanceTimersByTime(5000));
    expect(screen.getByTestId('toast')).toBeTruthy();
    fireEvent.mouseLeave(screen.getByTestId('toast'));
    act(() => vi.advanceTimersByTime(1100));
    expect(screen.queryByTestId('toast')).toBeNull();
  });
});

describe('QuantityStepper', () => {
  function Harness() {
    const [n, setN] = useState(1);
    return <QuantityStepper value={n} onChange={setN} min={1} max={3} />;
  }
  it('steps within bounds and clamps what is typed', () => {
    render(<Harness />);
    const input = screen.getByLabelText('Quantity') as HTMLInputElement;
    const dec = screen.getByRole('button', { name: 'Decrease quantity' }) as HTMLButtonElement;
    const inc = screen.getByRole('button', { name: 'Increase quantity' });
    expect(dec.disabled).toBe(true);
    fireEvent.click(inc);
    fireEvent.click(inc);
    fireEvent.click(inc);
    expect(input.value).toBe('3');
    fireEvent.change(input, { target: { value: 'abc' } });
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(input.value).toBe('3');
    fireEvent.change(input, { target: { value: '0' } });
    fireEvent.blur(input);
    expect(input.value).toBe('1');
  });
});
