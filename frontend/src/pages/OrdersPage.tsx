import { useId, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { ORDER_STATUSES } from '../api';
import { DateTime, EmptyState, ErrorMessage, Loading, Money, Pagination, StatusBadge } from '../components/ui';
import { useLoader, useTitle } from '../hooks';
import { DISPUTE_FILTERS, ORDER_SORTS, readOrderParams, searchOrders, toOrderQuery, writeOrderParams, type OrderParams } from '../orderSearch';
import { customerName, orderNumber, statusLabel } from '../orderWords';

export const ORDERS_PAGE_SIZE = 20;

export function OrdersPage({ scope }: { scope: 'mine' | 'all' }) {
  const staff = scope === 'all';
  const title = staff ? 'All orders' : 'My orders';
  useTitle(title);
  const [params, setParams] = useSearchParams();
  const state = readOrderParams(params);
  const limit = ORDERS_PAGE_SIZE;
  const query = toOrderQuery(state, limit);
  const key = JSON.stringify(query);
  const { data, error, loading } = useLoader((signal) => searchOrders(query, signal), [key]);
  const base = staff ? '/admin/orders' : '/orders';
  const update = (next: Partial<OrderParams>) => setParams(writeOrderParams({ ...state, page: 1, ...next }));
  const filtered = !!(state.q || state.status || state.dispute || state.from || state.to);

  return (
    <section>
      <div className="page-head">
        <h1>{title}</h1>
        {data && (
          <p className="muted" role="status">
            {data.page.total} order{data.page.total === 1 ? '' : 's'}
          </p>
        )}
      </div>
      <OrderFilters key={key} state={state} staff={staff} onChange={update} />
      <ErrorMessage>{error}</ErrorMessage>
      {loading && !data && <Loading label="Loading orders…" />}
      {data && data.page.items.length === 0 && (
        <EmptyState title={filtered ? 'No orders match these filters.' : 'No orders yet.'}>
          {!staff && !filtered && (
            <Link to="/" className="btn btn-primary">
              Start shopping
            </Link>
          )}
          {filtered && (
            <Link to={base} className="btn btn-secondary">
              Clear filters
            </Link>
          )}
        </EmptyState>
      )}
      {data && data.page.items.length > 0 && (
        <div className="card table-card">
          <table className="table">
            <caption className="sr-only">{title}</caption>
            <thead>
              <tr>
                <th scope="col">Order</th>
                <th scope="col">Placed</th>
                {staff && <th scope="col">Customer</th>}
                <th scope="col">Items</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Total
                </th>
              </tr>
            </thead>
            <tbody>
              {data.page.items.map((o) => {
                const href = `${base}/${encodeURIComponent(String(o.id))}`;
                const count = o.lines.reduce((n, l) => n + l.quantity, 0);
                const customer = customerName(o);
                return (
                  <tr key={String(o.id)} data-testid="order-row" data-order-id={String(o.id)}>
                    <th scope="row">
                      <Link to={href}>Order #{orderNumber(o)}</Link>
                    </th>
                    <td data-label="Placed">
                      <DateTime value={o.created_at} />
                    </td>
                    {staff && (
                      <td data-label="Customer" className="wrap" data-testid="order-customer">
                        {customer.name}
                        {customer.email && <span className="muted block small">{customer.email}</span>}
                      </td>
                    )}
                    <td data-label="Items">{count}</td>
                    <td data-label="Status">
                      <StatusBadge status={o.status} testId="order-status" />
                      {!!o.amount_lost && (
                        <span className="badge tone-danger" data-testid="order-money-lost">
                          Dispute lost: <Money amount={o.amount_lost} currency={o.currency} />
                        </span>
                      )}
                    </td>
                    <td className="num" data-label="Total">
                      <Money amount={o.total} currency={o.currency} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {data && (
        <Pagination
          total={data.page.total}
          limit={limit}
          offset={query.offset}
          label="Order pages"
          onChange={(offset) => setParams(writeOrderParams({ ...state, page: Math.floor(offset / limit) + 1 }))}
        />
      )}
    </section>
  );
}

function OrderFilters({
  state,
  staff,
  onChange,
}: {
  state: OrderParams;
  staff: boolean;
  onChange: (next: Partial<OrderParams>) => void;
}) {
  const id = useId();
  const [q, setQ] = useState(state.q);
  const [from, setFrom] = useState(state.from);
  const [to, setTo] = useState(state.to);

  function submit(e: FormEvent) {
    e.preventDefault();
    onChange({ q: q.trim(), from, to });
  }

  return (
    <form className="filters card" onSubmit={submit} role="search" aria-label="Order filters">
      <div className="filter filter-wide">
        <label htmlFor={`${id}-q`}>Find orders</label>
        <input
          id={`${id}-q`}
          type="search"
          value={q}
          placeholder={staff ? 'Order number, customer or Stripe payment id' : 'Order number'}
          onChange={(e) => setQ(e.target.value)}
        />
      </div>
      <div className="filter">
        <label htmlFor={`${id}-status`}>Status</label>
        <select id={`${id}-status`} value={state.status} onChange={(e) => onChange({ q: q.trim(), from, to, status: e.target.value })}>
          <option value="">All statuses</option>
          {ORDER_STATUSES.map((s) => (
            <option key={s} value={s}>
              {statusLabel(s)}
            </option>
          ))}
        </select>
      </div>
      {staff && (
        <div className="filter">
          <label htmlFor={`${id}-dispute`}>Disputes</label>
          <select
            id={`${id}-dispute`}
            value={state.dispute}
            onChange={(e) => onChange({ q: q.trim(), from, to, dispute: e.target.value as OrderParams['dispute'] })}
          >
            <option value="">With or without</option>
            {DISPUTE_FILTERS.map((d) => (
              <option key={d.value} value={d.value}>
                {d.label}
              </option>
            ))}
          </select>
        </div>
      )}
      <div className="filter">
        <label htmlFor={`${id}-from`}>From</label>
        <input id={`${id}-from`} type="date" value={from} max={to || undefined} onChange={(e) => setFrom(e.target.value)} />
      </div>
      <div className="filter">
        <label htmlFor={`${id}-to`}>To</label>
        <input id={`${id}-to`} type="date" value={to} min={from || undefined} onChange={(e) => setTo(e.target.value)} />
      </div>
      <div className="filter">
        <label htmlFor={`${id}-sort`}>Sort</label>
        <select id={`${id}-sort`} value={state.sort} onChange={(e) => onChange({ q: q.trim(), from, to, sort: e.target.value as OrderParams['sort'] })}>
          {ORDER_SORTS.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </div>
      <div className="filter filter-actions">
        <button type="submit" className="btn btn-primary">
          Find
        </button>
      </div>
    </form>
  );
}
