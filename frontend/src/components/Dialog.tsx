import { useEffect, useId, useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { createPortal } from 'react-dom';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * A modal dialog: focus moves into it, Tab stays inside, Escape (or the backdrop) closes it,
 * and focus goes back to where it was when it closes. The rest of the page is inert meanwhile.
 */
export function Modal({
  title,
  children,
  onClose,
  initialFocus,
  describedBy,
}: {
  title: string;
  children: ReactNode;
  onClose: () => void;
  /** CSS selector inside the dialog for the first focus (default: the first focusable). */
  initialFocus?: string;
  describedBy?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const closeRef = useRef(onClose);
  closeRef.current = onClose;

  // Layout effects: the page is inert only while the dialog is on screen, and focus is back
  // where it was before anything that awaited the dialog runs (see useConfirm).
  useLayoutEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    const root = document.getElementById('root');
    root?.setAttribute('inert', '');
    root?.setAttribute('aria-hidden', 'true');
    const node = ref.current;
    const first =
      (initialFocus ? node?.querySelector<HTMLElement>(initialFocus) : null) ?? node?.querySelector<HTMLElement>(FOCUSABLE);
    (first ?? node)?.focus();
    return () => {
      root?.removeAttribute('inert');
      root?.removeAttribute('aria-hidden');
      if (previous && document.contains(previous)) previous.focus();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  function onKeyDown(e: React.KeyboardEvent) {
    if (e.key === 'Escape') {
      e.stopPropagation();
      closeRef.current();
      return;
    }
    if (e.key !== 'Tab' || !ref.current) return;
    const items = Array.from(ref.current.querySelectorAll<HTMLElement>(FOCUSABLE));
    if (items.length === 0) {
      e.preventDefault();
      return;
    }
    const first = items[0];
    const last = items[items.length - 1];
    if (e.shiftKey && (document.activeElement === first || document.activeElement === ref.current)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  }

  return createPortal(
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && closeRef.current()}>
      <div
        ref={ref}
        className="modal card"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={describedBy}
        tabIndex={-1}
        onKeyDown={onKeyDown}
      >
        <h2 id={titleId}>{title}</h2>
        {children}
      </div>
    </div>,
    document.body,
  );
}

export interface ConfirmOptions {
  title: string;
  body: ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
  danger?: boolean;
}

/** A confirmation dialog: resolves `onConfirm` only when the confirm button is pressed. */
export function ConfirmDialog({
  options,
  onConfirm,
  onCancel,
}: {
  options: ConfirmOptions;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const bodyId = useId();
  return (
    <Modal title={options.title} onClose={onCancel} describedBy={bodyId} initialFocus="[data-autofocus]">
      <div id={bodyId} className="modal-body">
        {options.body}
      </div>
      <div className="button-row modal-actions">
        <button type="button" className="btn btn-secondary" onClick={onCancel} data-autofocus>
          {options.cancelLabel ?? 'Cancel'}
        </button>
        <button type="button" className={options.danger ? 'btn btn-danger' : 'btn btn-primary'} onClick={onConfirm}>
          {options.confirmLabel}
        </button>
      </div>
    </Modal>
  );
}

/**
 * `const [confirm, dialog] = useConfirm()`; render `dialog`, and `if (await confirm({...}))`
 * runs the action only after the user said yes. Focus starts on the safe choice (Cancel).
 */
export function useConfirm(): [(options: ConfirmOptions) => Promise<boolean>, ReactNode] {
  const [pending, setPending] = useState<{ options: ConfirmOptions; resolve: (ok: boolean) => void } | null>(null);
  const settled = useRef<{ resolve: (ok: boolean) => void; ok: boolean } | null>(null);
  const confirm = (options: ConfirmOptions) =>
    new Promise<boolean>((resolve) => {
      setPending({ options, resolve });
    });
  const finish = (ok: boolean) => {
    if (pending) settled.current = { resolve: pending.resolve, ok };
    setPending(null);
  };
  // Answer the caller only once the dialog is gone and focus is restored, so the caller may
  // move focus itself (e.g. back to the field to correct).
  useEffect(() => {
    if (pending || !settled.current) return;
    const { resolve, ok } = settled.current;
    settled.current = null;
    resolve(ok);
  }, [pending]);
  const dialog = pending ? (
    <ConfirmDialog options={pending.options} onConfirm={() => finish(true)} onCancel={() => finish(false)} />
  ) : null;
  return [confirm, dialog];
}
