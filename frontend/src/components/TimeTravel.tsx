import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { errorText, type HistoryEntry, type Id } from '../api';
import { describeEntry } from '../orderWords';
import { changesBetween, orderAfter, snapshot, type Changes, type Field, type Snapshot } from '../timeTravel';
import { DateTime, ErrorMessage, Loading, Money, StatusBadge } from './ui';

const FIELD_NAMES: Record<Field, string> = {
  status: 'status',
  total: 'total',
  amount_refunded: 'refunded amount',
  holds_stock: 'stock held',
  tracking_note: 'tracking note',
  dispute: 'dispute',
  payment_intent_id: 'Stripe payment',
  lines: 'items',
};

/**
 * The order as it stood after each of its events: a slider (and Earlier/Later buttons) over
 * the history; what the chosen event changed is highlighted.
 */
export function TimeTravel({ orderId, history }: { orderId: Id; history: HistoryEntry[] }) {
  const entries = [...history].sort((a, b) => a.version - b.version);
  const count = entries.length;
  const [index, setIndex] = useState(count - 1);
  const [states, setStates] = useState<Record<number, Snapshot>>({});
  const [error, setError] = useState<string | null>(null);
  const followEnd = useRef(true);
  const sliderId = useId();

  // New events arrive while the page is open: stay on the latest if the user was there.
  useEffect(() => {
    if (followEnd.current) setIndex(count - 1);
  }, [count]);

  const current = entries[Math.min(index, count - 1)];
  const previous = index > 0 ? entries[index - 1] : null;
  const wanted = [current, previous].filter((e): e is HistoryEntry => !!e && !states[e.version]);
  const wantedKey = wanted.map((e) => e.version).join(',');

  useEffect(() => {
    if (!wanted.length) return;
    const controller = new AbortController();
    Promise.all(wanted.map(async (e) => [e.version, snapshot(await orderAfter(orderId, e, controller.signal), history, e.version)] as const))
      .then((loaded) => {
        setError(null);
        setStates((all) => {
          const next = { ...all };
          for (const [version, snap] of loaded) next[version] = snap;
          return next;
        });
      })
      .catch((err) => {
        if (!controller.signal.aborted) setError(errorText(err));
      });
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [orderId, wantedKey]);

  if (!current) return null;
  const go = (i: number) => {
    const next = Math.max(0, Math.min(count - 1, i));
    followEnd.current = next === count - 1;
    setIndex(next);
  };
  const after = states[current.version];
  const before = previous ? states[previous.version] : null;
  const ready = after && (!previous || before);
  const changes = ready ? changesBetween(before ?? null, after) : null;
  const words = describeEntry(current, after?.order.currency ?? 'EUR', entries);

  return (
    <section className="card time-travel" aria-labelledby="tt-title" data-testid="time-travel">
      <h2 id="tt-title">Time travel</h2>
      <p className="muted">See the order as it stood after each step.</p>
      <div className="tt-controls">
        <button type="button" className="btn btn-secondary btn-small" onClick={() => go(index - 1)} disabled={index <= 0}>
          ← Earlier
        </button>
        <label htmlFor={sliderId} className="sr-only">
          Step
        </label>
        <input
          id={sliderId}
          type="range"
          min={1}
          max={count}
          step={1}
          value={index + 1}
          aria-valuetext={`Step ${index + 1} of ${count}: ${words.title}`}
          onChange={(e) => go(Number(e.target.value) - 1)}
          data-testid="tt-slider"
        />
        <button type="button" className="btn btn-secondary btn-small" onClick={() => go(index + 1)} disabled={index >= count - 1}>
          Later →
        </button>
      </div>
      <p className="tt-step" data-testid="tt-step" aria-live="polite">
        <strong>
          Step {index + 1} of {count}:
        </strong>{' '}
        {words.title} · <DateTime value={current.at} />
      </p>
      <ErrorMessage>{error}</ErrorMessage>
      {!ready && !error && <Loading label="Loading this step…" />}
      {ready && changes && <SnapshotView snap={after} changes={changes} first={!previous} />}
    </section>
  );
}

function Changed({ on, children }: { on: boolean; children: ReactNode }) {
  return (
    <span className={on ? 'changed' : undefined} data-changed={on ? 'true' : undefined}>
      {children}
      {on && <span className="sr-only"> (changed)</span>}
    </span>
  );
}

function SnapshotView({ snap, changes, first }: { snap: Snapshot; changes: Changes; first: boolean }) {
  const { order } = snap;
  const has = (f: Field) => changes.fields.has(f);
  const changedNames = [...changes.fields].map((f) => FIELD_NAMES[f]);
  return (
    <div className="tt-state" data-testid="tt-state" data-status={order.status}>
      <p className="tt-summary" data-testid="tt-changes">
        {first ? 'The order as placed.' : changedNames.length ? `Changed: ${changedNames.join(', ')}.` : 'Nothing visible changed in this step.'}
      </p>
      <dl className="totals">
        <dt>Status</dt>
        <dd data-testid="tt-status">
          <Changed on={has('status')}>
            <StatusBadge status={order.status} />
          </Changed>
        </dd>
        <dt>Total</dt>
        <dd>
          <Changed on={has('total')}>
            <Money amount={order.total} currency={order.currency} />
          </Changed>
        </dd>
        <dt>Refunded</dt>
        <dd data-testid="tt-refunded">
          <Changed on={has('amount_refunded')}>
            <Money amount={order.amount_refunded} currency={order.currency} />
          </Changed>
        </dd>
        <dt>Stock held</dt>
        <dd data-testid="tt-stock">
          <Changed on={has('holds_stock')}>{snap.holdsStock ? 'Yes' : 'No, released'}</Changed>
        </dd>
        {order.tracking_note && (
          <>
            <dt className="stacked">Tracking</dt>
            <dd className="stacked wrap">
              <Changed on={has('tracking_note')}>{order.tracking_note}</Changed>
            </dd>
          </>
        )}
        {order.dispute && (
          <>
            <dt>Dispute</dt>
            <dd>
              <Changed on={has('dispute')}>{order.dispute}</Changed>
            </dd>
          </>
        )}
      </dl>
      <ul className="tt-lines" aria-label="Items at this step">
        {order.lines.map((line) => {
          const on = changes.lines.has(String(line.product_id));
          return (
            <li key={String(line.product_id)} className={on ? 'changed' : undefined} data-changed={on ? 'true' : undefined}>
              <span className="wrap">{line.name}</span>
              <span>
                {line.quantity} × <Money amount={line.unit_price} currency={order.currency} />
              </span>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
