import { Link } from 'react-router-dom';
import type { AdminSummary, MoneyAmount, Order, OrderStats } from '../api';
import { attentionReason, loadSummary } from '../adminSummary';
import { DateTime, EmptyState, ErrorMessage, Loading, Money, StatusBadge } from '../components/ui';
import { useLoader, useShopConfig, useTitle } from '../hooks';
import { formatMoney } from '../money';
import { customerName, orderNumber, statusLabel } from '../orderWords';

function Revenue({ revenue }: { revenue: MoneyAmount[] }) {
  const config = useShopConfig();
  if (revenue.length === 0) return <>{formatMoney(0, config?.currency ?? 'EUR')}</>;
  return (
    <>
      {revenue.map((m, i) => (
        <span key={m.currency}>
          {i > 0 && ' + '}
          <Money amount={m.amount} currency={m.currency} />
        </span>
      ))}
    </>
  );
}

function StatsCard({ title, stats, testId }: { title: string; stats: OrderStats; testId: string }) {
  const statuses = Object.entries(stats.by_status).sort(([, a], [, b]) => b - a);
  return (
    <section className="card stat-card" aria-labelledby={`${testId}-title`} data-testid={testId}>
      <h2 id={`${testId}-title`}>{title}</h2>
      <div className="stat-figures">
        <p>
          <span className="stat-value" data-testid={`${testId}-orders`}>
            {stats.orders}
          </span>
          <span className="stat-label">order{stats.orders === 1 ? '' : 's'}</span>
        </p>
        <p>
          <span className="stat-value" data-testid={`${testId}-revenue`}>
            <Revenue revenue={stats.revenue} />
          </span>
          <span className="stat-label">revenue, after refunds</span>
        </p>
      </div>
      {statuses.length > 0 && (
        <ul className="status-counts" aria-label={`${title}: orders by status`}>
          {statuses.map(([status, n]) => (
            <li key={status}>
              <Link to={`/admin/orders?status=${encodeURIComponent(status)}`}>
                <StatusBadge status={status} /> <span className="count">{n}</span>
                <span className="sr-only"> {statusLabel(status)} orders</span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function DailyChart({ daily }: { daily: AdminSummary['daily'] }) {
  const max = Math.max(1, ...daily.map((d) => d.orders));
  const total = daily.reduce((n, d) => n + d.orders, 0);
  return (
    <section className="card" aria-labelledby="daily-title">
      <h2 id="daily-title">Orders per day, last 30 days</h2>
      <div className="chart" role="img" aria-label={`${total} orders in the last 30 days; the busiest day had ${max === 1 && total === 0 ? 0 : max}.`}>
        {daily.map((d) => (
          <div
            key={d.day}
            className="bar"
            style={{ height: `${Math.round((d.orders / max) * 100)}%` }}
            title={`${d.day}: ${d.orders} order${d.orders === 1 ? '' : 's'}${d.revenue
              .map((m) => `, ${formatMoney(m.amount, m.currency)}`)
              .join('')}`}
          />
        ))}
      </div>
      <div className="chart-axis muted small" aria-hidden="true">
        <span>{daily[0]?.day}</span>
        <span>{daily[daily.length - 1]?.day}</span>
      </div>
    </section>
  );
}

function OrderList({ orders, reason }: { orders: Order[]; reason?: boolean }) {
  return (
    <ul className="order-list">
      {orders.map((o) => {
        const customer = customerName(o);
        return (
          <li key={String(o.id)} data-testid={reason ? 'attention-order' : 'recent-order'}>
            <Link to={`/admin/orders/${encodeURIComponent(String(o.id))}`} className="order-list-title">
              Order #{orderNumber(o)}
            </Link>
            <StatusBadge status={o.status} />
            {reason && <span className="muted small">{attentionReason(o) ?? 'Needs a look'}</span>}
            <span className="order-list-meta muted small wrap">
              {customer.name} · <Money amount={o.total} currency={o.currency} /> · <DateTime value={o.created_at} />
            </span>
          </li>
        );
      })}
    </ul>
  );
}

export function AdminHomePage() {
  useTitle('Dashboard');
  const { data, error, loading, reload } = useLoader((signal) => loadSummary(signal), []);

  return (
    <section className="admin-home">
      <div className="page-head">
        <h1>Dashboard</h1>
        <button type="button" className="btn btn-secondary btn-small" onClick={() => void reload()} disabled={loading}>
          {loading ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      <ErrorMessage>{error}</ErrorMessage>
      {loading && !data && <Loading label="Loading the dashboard…" />}
      {data && (
        <>
          <div className="stats-grid">
            <StatsCard title="Today" stats={data.summary.today} testId="stats-today" />
            <StatsCard title="Last 30 days" stats={data.summary.last_30_days} testId="stats-30-days" />
          </div>
          <DailyChart daily={data.summary.daily} />
          <div className="dashboard-grid">
            <section className="card" aria-labelledby="attention-title">
              <h2 id="attention-title">Needs attention</h2>
              {data.summary.attention.length ? (
                <OrderList orders={data.summary.attention} reason />
              ) : (
                <EmptyState title="Nothing needs attention." />
              )}
            </section>
            <section className="card" aria-labelledby="recent-title">
              <h2 id="recent-title">Recent orders</h2>
              {data.summary.recent.length ? <OrderList orders={data.summary.recent} /> : <EmptyState title="No orders yet." />}
              <p>
                <Link to="/admin/orders">All orders →</Link>
              </p>
            </section>
          </div>
          <section className="card" aria-labelledby="projections-title">
            <h2 id="projections-title">Projection health</h2>
            {data.summary.projections.length ? (
              <div className="table-scroll">
                <table className="table stack-sm" data-testid="projections">
                  <caption className="sr-only">Read models: how far each has caught up with the event store</caption>
                  <thead>
                    <tr>
                      <th scope="col">View</th>
                      <th scope="col" className="num">
                        Position
                      </th>
                      <th scope="col" className="num">
                        Behind by
                      </th>
                      <th scope="col">State</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.summary.projections.map((p) => (
                      <tr key={p.name}>
                        <th scope="row">{p.name}</th>
                        <td className="num" data-label="Position">
                          {p.position ?? '—'}
                          {p.head != null && <span className="muted"> / {p.head}</span>}
                        </td>
                        <td className="num" data-label="Behind by">
                          <span className={p.lag && p.lag > 0 ? 'lag lag-behind' : 'lag'}>
                            {p.lag == null ? '—' : `${p.lag} event${p.lag === 1 ? '' : 's'}`}
                          </span>
                        </td>
                        <td data-label="State">{p.state}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ) : (
              <p className="muted">This server does not report projection health yet (GET /admin/summary).</p>
            )}
          </section>
        </>
      )}
    </section>
  );
}
