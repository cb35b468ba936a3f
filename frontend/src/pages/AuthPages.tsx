import { useRef, useState, type FormEvent } from 'react';
import { Link, Navigate, useLocation, useNavigate } from 'react-router-dom';
import { api, type User } from '../api';
import { useAuth } from '../auth';
import { readPending } from '../cart';
import { Field } from '../components/Field';
import { ErrorMessage, Notice } from '../components/ui';
import { formErrors, type FieldErrors } from '../fieldErrors';
import { useTitle } from '../hooks';

interface FromState {
  from?: string;
  expired?: boolean;
  registered?: string;
  /** The product a visitor tried to add before signing in. */
  pending?: string;
}

function safeFrom(state: unknown): string | null {
  const from = (state as FromState | null)?.from;
  return from && from.startsWith('/') && !from.startsWith('//') && from !== '/login' && from !== '/register' ? from : null;
}

/** Where to go after signing in: back where the user came from, else staff to their dashboard. */
export function landingPath(user: Pick<User, 'role'>, state: unknown): string {
  const from = safeFrom(state);
  if (from) return from;
  return user.role === 'admin' || user.role === 'support' ? '/admin' : '/';
}

function PendingNotice({ state }: { state: FromState | null }) {
  const name = state?.pending ?? readPending()?.name;
  if (!name) return null;
  return (
    <Notice tone="info">
      Sign in or create an account to add <strong>{name}</strong> to your cart. We will add it right after.
    </Notice>
  );
}

/** Move focus to the first invalid field, so keyboard and screen reader users land on it. */
function focusFirstInvalid(form: HTMLFormElement | null, fields: FieldErrors) {
  const first = Object.keys(fields)[0];
  if (!form || !first) return;
  form.querySelector<HTMLElement>(`[name="${first}"]`)?.focus();
}

const LOGIN_LABELS = { username: 'Username or email', password: 'Password' };

export function LoginPage() {
  useTitle('Sign in');
  const { login, user } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const state = (location.state ?? null) as FromState | null;
  const [username, setUsername] = useState(state?.registered ?? '');
  const [password, setPassword] = useState('');
  const [fields, setFields] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  if (user && !busy) return <Navigate to={landingPath(user, state)} replace />;

  async function submit(e: FormEvent) {
    e.preventDefault();
    const missing: FieldErrors = {};
    if (!username.trim()) missing.username = 'Enter your username or email.';
    if (!password) missing.password = 'Enter your password.';
    setFields(missing);
    setError(null);
    if (Object.keys(missing).length) {
      focusFirstInvalid(formRef.current, missing);
      return;
    }
    setBusy(true);
    try {
      const me = await login(username.trim(), password);
      navigate(landingPath(me, state), { replace: true });
    } catch (err) {
      const found = formErrors(err, LOGIN_LABELS);
      setFields(found.fields);
      setError(/wrong username or password/i.test(found.form ?? '') ? 'That username or password is not right. Check them and try again.' : found.form);
      setBusy(false);
      focusFirstInvalid(formRef.current, found.fields);
    }
  }

  return (
    <section className="auth-page">
      <div className="card form-card">
        <h1>Sign in</h1>
        {state?.expired && <Notice tone="warning">Your session has ended. Please sign in again.</Notice>}
        {state?.registered && <Notice tone="success">Account created. Sign in to continue.</Notice>}
        <PendingNotice state={state} />
        <form ref={formRef} onSubmit={submit} noValidate>
          <Field label="Username or email" error={fields.username}>
            <input
              id="login-username"
              name="username"
              autoComplete="username"
              value={username}
              onChange={(e) => setUsername(e.target.value)}
            />
          </Field>
          <Field label="Password" error={fields.password}>
            <input
              id="login-password"
              name="password"
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </Field>
          <ErrorMessage>{error}</ErrorMessage>
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <p className="muted form-foot">
          New here?{' '}
          <Link to="/register" state={state}>
            Create an account
          </Link>
        </p>
      </div>
    </section>
  );
}

const REGISTER_LABELS = { username: 'Username', email: 'Email', password: 'Password' };

export function RegisterPage() {
  useTitle('Create account');
  const { login, user } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const state = (location.state ?? null) as FromState | null;
  const [username, setUsername] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [fields, setFields] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  if (user && !busy) return <Navigate to={landingPath(user, state)} replace />;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setFields({});
    setBusy(true);
    try {
      await api.register({ username: username.trim(), email: email.trim(), password });
    } catch (err) {
      const found = formErrors(err, REGISTER_LABELS);
      setFields(found.fields);
      setError(
        /already registered/i.test(found.form ?? '')
          ? 'That username or email already has an account. Sign in instead, or choose another.'
          : found.form,
      );
      setBusy(false);
      focusFirstInvalid(formRef.current, found.fields);
      return;
    }
    try {
      const me = await login(username.trim(), password);
      navigate(landingPath(me, state), { replace: true });
    } catch {
      navigate('/login', { replace: true, state: { ...state, registered: username.trim() } });
    }
  }

  return (
    <section className="auth-page">
      <div className="card form-card">
        <h1>Create account</h1>
        <PendingNotice state={state} />
        <form ref={formRef} onSubmit={submit} noValidate>
          <Field label="Username" error={fields.username} hint="3 to 64 letters, digits, dots, dashes or underscores.">
            <input
              id="register-username"
              name="username"
              autoComplete="username"
              value={username}
              onChange={(e) => setUsername(e.target.value)}
            />
          </Field>
          <Field label="Email" error={fields.email}>
            <input
              id="register-email"
              name="email"
              type="email"
              autoComplete="email"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          </Field>
          <Field label="Password" error={fields.password} hint="At least 8 characters.">
            <input
              id="register-password"
              name="password"
              type="password"
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </Field>
          <ErrorMessage>{error}</ErrorMessage>
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            {busy ? 'Creating account…' : 'Create account'}
          </button>
        </form>
        <p className="muted form-foot">
          Already have an account?{' '}
          <Link to="/login" state={state}>
            Sign in
          </Link>
        </p>
      </div>
    </section>
  );
}
