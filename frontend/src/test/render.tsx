// Render the whole app at a path, against a FakeServer, as a given user.
import { cleanup, render } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, beforeEach, vi } from 'vitest';
import { apiSettings, clearToken, resetEventPositionForTests, setToken, type User } from '../api';
import { AppRoutes } from '../App';
import { toastSettings } from '../components/Toasts';
import { resetShopConfigForTests } from '../hooks';
import { liveSettings, resetLiveOrderForTests } from '../liveOrder';
import { FakeServer } from './fakeServer';

export let server: FakeServer;

/** Per-test set-up: a fresh fake server with the routes every page needs. */
export function useFakeServer(): void {
  beforeEach(() => {
    localStorage.clear();
    sessionStorage.clear();
    clearToken();
    resetEventPositionForTests();
    resetShopConfigForTests();
    resetLiveOrderForTests();
    liveSettings.pollMs = 30;
    liveSettings.reconnectMs = 30;
    toastSettings.durationMs = 6000;
    apiSettings.sleep = async () => undefined;
    server = new FakeServer();
    server.on('GET', '/config', { body: { currency: 'EUR', stripe_publishable_key: 'pk_test_x', dev_payments: true } });
    server.on('GET', '/cart', { body: { items: [], total: 0, currency: 'EUR' } });
    server.on('GET', '/protected', { status: 401, body: { detail: 'not signed in' } });
    server.install();
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });
}

export function signIn(user: User): void {
  setToken('token-' + user.username);
  server.on('GET', '/protected', { body: user });
}

export function renderApp(path: string) {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <AppRoutes />
    </MemoryRouter>,
  );
}
