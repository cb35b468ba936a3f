import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useNavigate } from 'react-router-dom';
import { api, clearToken, getToken, onUnauthorized, refreshSession, setToken, type User } from './api';

interface AuthState {
  user: User | null;
  /** True while the session is being restored (refresh cookie, then "who am I"). */
  loading: boolean;
  login: (username: string, password: string) => Promise<User>;
  logout: () => Promise<void>;
  isAdmin: boolean;
  /** admin or support: may look at every order. */
  isStaff: boolean;
}

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null);
  const [loading, setLoading] = useState<boolean>(true);
  const navigate = useNavigate();

  // A 401 on a signed-in request: the client already dropped the token.
  useEffect(
    () =>
      onUnauthorized(() => {
        setUser(null);
        setLoading(false);
        const from = window.location.pathname + window.location.search;
        if (window.location.pathname !== '/login') {
          navigate('/login', { replace: true, state: { from, expired: true } });
        }
      }),
    [navigate],
  );

  // The access token lives in memory only: after a reload, the httpOnly refresh cookie (if
  // the browser has one) brings the session back.
  useEffect(() => {
    const controller = new AbortController();
    const restore = async () => {
      if (!getToken() && !(await refreshSession())) return;
      if (controller.signal.aborted) return;
      setUser(await api.me(controller.signal));
    };
    restore()
      .catch(() => undefined)
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
  }, []);

  const login = useCallback(async (username: string, password: string) => {
    const res = await api.login({ username, password });
    setToken(res.access_token);
    try {
      const me = await api.me();
      setUser(me);
      return me;
    } catch (err) {
      clearToken();
      throw err;
    }
  }, []);

  const logout = useCallback(async () => {
    try {
      // Revokes the access token and the session, and clears the refresh cookie.
      if (getToken()) await api.logout();
    } catch {
      // The token is dropped below whatever the server said.
    } finally {
      clearToken();
      setUser(null);
    }
    navigate('/', { replace: true });
  }, [navigate]);

  const value = useMemo<AuthState>(
    () => ({
      user,
      loading,
      login,
      logout,
      isAdmin: user?.role === 'admin',
      isStaff: user?.role === 'admin' || user?.role === 'support',
    }),
    [user, loading, login, logout],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth must be used inside <AuthProvider>');
  return ctx;
}
