import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { formatMoney } from '../money';
import { statusLabel, statusTone } from '../orderWords';

export function ErrorMessage({ children }: { children: ReactNode }) {
  if (children === null || children === undefined || children === '' || children === false) return null;
  return (
    <div className="alert alert-error" role="alert">
      {children}
    </div>
  );
}

export function Notice({ children, tone = 'info' }: { children: ReactNode; tone?: 'info' | 'success' | 'warning' }) {
  if (children === null || children === undefined || children === '' || children === false) return null;
  return (
    <div className={`alert alert-${tone}`} role="status">
      {children}
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

export function Money({ amount, currency }: { amount: number; currency: string }) {
  return <span className="money">{formatMoney(amount, currency)}</span>;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function DateTime({ value }: { value: string | null | undefined }) {
  if (!value) return <span>—</span>;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return <span>{value}</span>;
  return (
    <time dateTime={value} title={value}>
      {dateFormat.format(date)}
    </time>
  );
}


/** The order's status as a coloured badge in words ("Awaiting payment"); the API name is in data-status. */
export function StatusBadge({ status, testId }: { status: string; testId?: string }) {
  return (
    <span className={`badge status tone-${statusTone(status)}`} data-testid={testId} data-status={status}>
      {statusLabel(status)}
    </span>
  );
}

export function Pagination({
  total,
  limit,
  offset,
  onChange,
  label = 'Pages',
}: {
  total: number;
  limit: number;
  offset: number;
  onChange: (offset: number) => void;
  label?: string;
}) {
  if (total <= limit && offset === 0) return null;
  const page = Math.floor(offset / limit) + 1;
  const pages = Math.max(1, Math.ceil(total / limit));
  return (
    <nav className="pagination" aria-label={label}>
      <button type="button" className="btn btn-secondary" disabled={offset <= 0} onClick={() => onChange(Math.max(0, offset - limit))}>
        ← Previous page
      </button>
      <span className="pagination-info">
        Page {page} of {pages} <span className="muted">({total} total)</span>
      </span>
      <button type="button" className="btn btn-secondary" disabled={offset + limit >= total} onClick={() => onChange(offset + limit)}>
        Next page →
      </button>
    </nav>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children}
    </div>
  );
}

export function BackLink({ to, children }: { to: string; children: ReactNode }) {
  return (
    <p className="back">
      <Link to={to}>← {children}</Link>
    </p>
  );
}
