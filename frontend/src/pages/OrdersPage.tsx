import { Link, useSearchParams } from 'react-router-dom';
import { api, ORDER_STATUSES } from '../api';
import { DateTime, EmptyState, ErrorMessage, intParam, Loading, Money, Pagination, StatusBadge, statusLabel } from '../components/ui';
import { useLoader, useTitle } from '../hooks';

export const ORDERS_PAGE_SIZE = 20;

export function OrdersPage({ scope }: { scope: 'mine' | 'all' }) {
  const title = scope === 'all' ? 'All orders' : 'My orders';
  useTitle(title);
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? '';
  const offset = intParam(params.get('offset'));
  const limit = ORDERS_PAGE_SIZE;
  const { data, error, loading } = useLoader(
    (signal) => api.listOrders({ status: status || undefined, limit, offset }, signal),
    [status, offset],
  );
  const base = scope === 'all' ? '/admin/orders' : '/orders';

  function update(next: { status?: string; offset?: number }) {
    const s = next.status ?? status;
    const o = next.offset ?? 0;
    const p: Record<string, string> = {};
    if (s) p.status = s;
    if (o) p.offset = String(o);
    setParams(p);
  }

  return (
    <section>
      <div className="page-head">
        <h1>{title}</h1>
        <div className="filters">
          <label htmlFor="status-filter">Status</label>
          <select id="status-filter" value={status} onChange={(e) => update({ status: e.target.value, offset: 0 })}>
            <option value="">All statuses</option>
            {ORDER_STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusLabel(s)}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ErrorMessage>{error}</ErrorMessage>
      {loading && !data && <Loading label="Loading orders…" />}
      {data && data.items.length === 0 && (
        <EmptyState title={status ? `No orders with status “${statusLabel(status)}”.` : 'No orders yet.'}>
          {scope === 'mine' && !status && (
            <Link to="/" className="btn btn-primary">
              Start shopping
            </Link>
          )}
        </EmptyState>
      )}
      {data && data.items.length > 0 && (
        <div className="card table-card">
          <table className="table">
            <caption className="sr-only">{title}</caption>
            <thead>
              <tr>
                <th scope="col">Order</th>
                <th scope="col">Placed</th>
                {scope === 'all' && <th scope="col">Customer</th>}
                <th scope="col">Items</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">Total</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((o) => {
                const href = `${base}/${encodeURIComponent(String(o.id))}`;
                const count = o.lines.reduce((n, l) => n + l.quantity, 0);
                return (
                  <tr key={String(o.id)} data-testid="order-row" data-order-id={String(o.id)}>
                    <th scope="row">
                      <Link to={href} aria-label={`Order ${String(o.id)}`}>
                        #{shortId(o.id)}
                      </Link>
                    </th>
                    <td data-label="Placed">
                      <DateTime value={o.created_at} />
                    </td>
                    {scope === 'all' && (
                      <td data-label="Customer" className="mono" title={String(o.user_id)}>
                        {shortId(o.user_id)}
                      </td>
                    )}
                    <td data-label="Items">{count}</td>
                    <td data-label="Status">
                      <StatusBadge status={o.status} testId="order-status" />
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
        <Pagination total={data.total} limit={limit} offset={offset} label="Order pages" onChange={(o) => update({ offset: o })} />
      )}
    </section>
  );
}

export function shortId(id: string | number): string {
  const s = String(id);
  return s.length > 12 ? s.slice(0, 8) : s;
}
