import { useState, type ReactNode } from 'react';
import { Link, NavLink, Navigate, Outlet, useLocation } from 'react-router-dom';
import { useAuth } from '../auth';
import { Loading } from './ui';

function Header() {
  const { user, isAdmin, isStaff, logout, loading } = useAuth();
  const [busy, setBusy] = useState(false);
  const navClass = ({ isActive }: { isActive: boolean }) => (isActive ? 'nav-link active' : 'nav-link');

  return (
    <header className="site-header">
      <div className="container header-inner">
        <Link to="/" className="brand" aria-label="Event Shop home">
          <span className="brand-mark" aria-hidden="true">◆</span> Event Shop
        </Link>
        <nav className="main-nav" aria-label="Main">
          <NavLink to="/" end className={navClass}>
            Products
          </NavLink>
          {user && (
            <>
              <NavLink to="/cart" className={navClass}>
                Cart
              </NavLink>
              <NavLink to="/orders" className={navClass}>
                My orders
              </NavLink>
            </>
          )}
          {isAdmin && (
            <NavLink to="/admin/products" className={navClass}>
              Manage products
            </NavLink>
          )}
          {isStaff && (
            <NavLink to="/admin/orders" className={navClass}>
              All orders
            </NavLink>
          )}
        </nav>
        <div className="account">
          {user ? (
            <>
              <span className="whoami" data-testid="current-user">
                <span className="username">{user.username}</span>{' '}
                <span className={`badge role role-${user.role}`} data-testid="current-role">
                  {user.role}
                </span>
              </span>
              <button
                type="button"
                className="btn btn-secondary btn-small"
                disabled={busy}
                onClick={async () => {
                  setBusy(true);
                  await logout();
                  setBusy(false);
                }}
              >
                Log out
              </button>
            </>
          ) : loading ? (
            <span className="muted">…</span>
          ) : (
            <>
              <NavLink to="/login" className={navClass}>
                Sign in
              </NavLink>
              <Link to="/register" className="btn btn-primary btn-small">
                Register
              </Link>
            </>
          )}
        </div>
      </div>
    </header>
  );
}

export function Layout() {
  return (
    <div className="app">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <Header />
      <main id="main" className="container main">
        <Outlet />
      </main>
      <footer className="site-footer">
        <div className="container">Event Shop · every change is an event · payments by Stripe</div>
      </footer>
    </div>
  );
}

/** Only for signed-in users (optionally with one of `roles`); otherwise to /login. */
export function RequireAuth({ roles, children }: { roles?: string[]; children: ReactNode }) {
  const { user, loading } = useAuth();
  const location = useLocation();
  if (loading) return <Loading />;
  if (!user) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  if (roles && !roles.includes(user.role)) {
    return (
      <section>
        <h1>Not allowed</h1>
        <p role="alert" className="alert alert-error">
          This page is for {roles.join(' or ')} accounts. You are signed in as {user.username} ({user.role}).
        </p>
        <p>
          <Link to="/">Back to the shop</Link>
        </p>
      </section>
    );
  }
  return <>{children}</>;
}
