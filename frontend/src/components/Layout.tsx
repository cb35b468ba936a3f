import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { Link, NavLink, Navigate, Outlet, useLocation, useNavigate, useSearchParams } from 'react-router-dom';
import { useAuth } from '../auth';
import { useCart } from '../cart';
import { Loading } from './ui';

const navClass = ({ isActive }: { isActive: boolean }) => (isActive ? 'nav-link active' : 'nav-link');

function SearchBox() {
  const navigate = useNavigate();
  const location = useLocation();
  const [params] = useSearchParams();
  const onCatalog = location.pathname === '/';
  const current = onCatalog ? (params.get('q') ?? '') : '';
  const [text, setText] = useState(current);
  const id = useId();
  useEffect(() => setText(current), [current]);

  function submit(e: FormEvent) {
    e.preventDefault();
    const q = text.trim();
    const next = new URLSearchParams(onCatalog ? params : undefined);
    if (q) next.set('q', q);
    else next.delete('q');
    next.delete('page');
    next.delete('sort');
    const qs = next.toString();
    navigate(qs ? `/?${qs}` : '/');
  }

  return (
    <form className="search" role="search" onSubmit={submit}>
      <label htmlFor={id} className="sr-only">
        Search products
      </label>
      <input
        id={id}
        type="search"
        name="q"
        placeholder="Search products"
        autoComplete="off"
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
      <button type="submit" className="btn btn-primary btn-small">
        Search
      </button>
    </form>
  );
}

function CartLink() {
  const { count } = useCart();
  return (
    <NavLink to="/cart" className={({ isActive }) => `cart-link ${navClass({ isActive })}`}>
      <svg className="cart-icon" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
        <path
          d="M3 4h2l2.4 10.2a1 1 0 0 0 1 .8h8.9a1 1 0 0 0 1-.76L20 8H6.2"
          fill="none"
          stroke="currentColor"
          strokeWidth="2"
          strokeLinecap="round"
          strokeLinejoin="round"
        />
        <circle cx="9.5" cy="19" r="1.5" fill="currentColor" />
        <circle cx="17" cy="19" r="1.5" fill="currentColor" />
      </svg>
      <span className="cart-label">Cart</span>
      {count !== null && count > 0 && (
        <>
          <span className="cart-count" aria-hidden="true" data-testid="cart-count">
            {count}
          </span>
          <span className="sr-only">
            , {count} item{count === 1 ? '' : 's'}
          </span>
        </>
      )}
    </NavLink>
  );
}

function Header() {
  const { user, isAdmin, isStaff, logout, loading } = useAuth();
  const [busy, setBusy] = useState(false);

  return (
    <header className="site-header">
      <div className="container header-inner">
        <Link to="/" className="brand" aria-label="Event Shop home">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>{' '}
          Event Shop
        </Link>
        <SearchBox />
        <div className="account">
          <CartLink />
          {user ? (
            <>
              <span className="whoami" data-testid="current-user">
                <span className="username">{user.username}</span>
                {user.role !== 'shopper' && (
                  <span className={`badge role role-${user.role}`} data-testid="current-role">
                    {user.role}
                  </span>
                )}
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
        <nav className="main-nav" aria-label="Main">
          <NavLink to="/" end className={navClass}>
            Products
          </NavLink>
          {user && (
            <NavLink to="/orders" className={navClass}>
              My orders
            </NavLink>
          )}
          {user && !isStaff && (
            <NavLink to="/addresses" className={navClass}>
              Addresses
            </NavLink>
          )}
          {isStaff && (
            <NavLink to="/admin" end className={navClass}>
              Dashboard
            </NavLink>
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
          {isStaff && (
            <NavLink to="/admin/selling" className={navClass}>
              Shipping &amp; tax
            </NavLink>
          )}
        </nav>
      </div>
    </header>
  );
}

/** After a navigation that removed the focused element (a clicked link), keyboard users would
 * start again from the end of the page; start them at the new page's content instead. */
function useFocusKeptOnNavigation() {
  const { pathname } = useLocation();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false; // a page load starts at the top (the skip link), as everywhere
      return;
    }
    const active = document.activeElement;
    if (active === null || active === document.body) document.getElementById('main')?.focus({ preventScroll: true });
  }, [pathname]);
}

export function Layout() {
  useFocusKeptOnNavigation();
  return (
    <div className="app">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <Header />
      <main id="main" className="container main" tabIndex={-1}>
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
