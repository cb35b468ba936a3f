import { useState, type FormEvent } from 'react';
import { Link, Navigate, useLocation, useNavigate } from 'react-router-dom';
import { api, errorText } from '../api';
import { useAuth } from '../auth';
import { ErrorMessage, Notice } from '../components/ui';
import { useTitle } from '../hooks';

interface FromState {
  from?: string;
  expired?: boolean;
  registered?: string;
}

function safeFrom(state: unknown): string {
  const from = (state as FromState | null)?.from;
  return from && from.startsWith('/') && !from.startsWith('//') && from !== '/login' && from !== '/register' ? from : '/';
}

/** Multi-line error text (422 lists) shown one message per line. */
function Lines({ text }: { text: string | null }) {
  if (!text) return null;
  const lines = text.split('\n');
  return (
    <ErrorMessage>
      {lines.length === 1 ? (
        text
      ) : (
        <ul className="error-list">
          {lines.map((l, i) => (
            <li key={i}>{l}</li>
          ))}
        </ul>
      )}
    </ErrorMessage>
  );
}

export function LoginPage() {
  useTitle('Sign in');
  const { login, user } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const state = (location.state ?? null) as FromState | null;
  const [username, setUsername] = useState(state?.registered ?? '');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (user && !busy) return <Navigate to={safeFrom(state)} replace />;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await login(username.trim(), password);
      navigate(safeFrom(state), { replace: true });
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  }

  return (
    <section className="auth-page">
      <div className="card form-card">
        <h1>Sign in</h1>
        {state?.expired && <Notice tone="warning">Your session has ended. Please sign in again.</Notice>}
        {state?.registered && <Notice tone="success">Account created. Sign in to continue.</Notice>}
        <form onSubmit={submit} noValidate>
          <div className="field">
            <label htmlFor="login-username">Username or email</label>
            <input
              id="login-username"
              name="username"
              autoComplete="username"
              required
              value={username}
              onChange={(e) => setUsername(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="login-password">Password</label>
            <input
              id="login-password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </div>
          <Lines text={error} />
          <button type="submit" className="btn btn-primary btn-block" disabled={busy || !username || !password}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <p className="muted form-foot">
          New here? <Link to="/register">Create an account</Link>
        </p>
      </div>
    </section>
  );
}

export function RegisterPage() {
  useTitle('Create account');
  const { login, user } = useAuth();
  const navigate = useNavigate();
  const [username, setUsername] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (user && !busy) return <Navigate to="/" replace />;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await api.register({ username: username.trim(), email: email.trim(), password });
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
      return;
    }
    try {
      await login(username.trim(), password);
      navigate('/', { replace: true });
    } catch {
      navigate('/login', { replace: true, state: { registered: username.trim() } });
    }
  }

  return (
    <section className="auth-page">
      <div className="card form-card">
        <h1>Create account</h1>
        <form onSubmit={submit} noValidate>
          <div className="field">
            <label htmlFor="register-username">Username</label>
            <input
              id="register-username"
              name="username"
              autoComplete="username"
              required
              value={username}
              onChange={(e) => setUsername(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="register-email">Email</label>
            <input
              id="register-email"
              name="email"
              type="email"
              autoComplete="email"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="register-password">Password</label>
            <input
              id="register-password"
              name="password"
              type="password"
              autoComplete="new-password"
              aria-describedby="register-password-hint"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
            <p id="register-password-hint" className="hint">
              At least 8 characters.
            </p>
          </div>
          <Lines text={error} />
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            {busy ? 'Creating account…' : 'Create account'}
          </button>
        </form>
        <p className="muted form-foot">
          Already have an account? <Link to="/login">Sign in</Link>
        </p>
      </div>
    </section>
  );
}
