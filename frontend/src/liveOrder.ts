// Live orders: every order page follows GET /orders/{id}/stream (server-sent events read
// with fetch, since EventSource cannot send the token). Where the server has no stream yet,
// it polls GET /orders/{id} every second while the tab is visible.
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError, errorText, isMissingRoute, type Id, type Order } from './api';

export const liveSettings = {
  /** Poll interval without a stream. */
  pollMs: 1000,
  /** Pause before reconnecting a stream that ended or broke. */
  reconnectMs: 2000,
};

/** Whether this server streams orders: unknown until the first try, then remembered. */
let streamSupported: boolean | null = null;
export function resetLiveOrderForTests(): void {
  streamSupported = null;
}

/** Resolves after `ms`, at once when the tab becomes visible again, or on abort. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const onVisible = () => document.visibilityState === 'visible' && done();
    const timer = setTimeout(done, ms);
    document.addEventListener('visibilitychange', onVisible);
    signal.addEventListener('abort', done);
  });
}

function same(a: Order | null, b: Order): boolean {
  return a !== null && JSON.stringify(a) === JSON.stringify(b);
}

export interface LiveOrder {
  order: Order | null;
  /** Why the order cannot be shown (not found, not allowed); passing hiccups are not errors. */
  error: string | null;
  /** How the page follows the order: "stream", "poll", or "connecting" before the first answer. */
  mode: 'connecting' | 'stream' | 'poll';
  /** Read the order now (after a command: the read waits for its event position). */
  refresh: () => Promise<void>;
}

/** Follow an order until the page goes away. `initial` shows at once while connecting. */
export function useLiveOrder(id: Id, initial: Order | null = null): LiveOrder {
  const [order, setOrder] = useState<Order | null>(initial);
  const [error, setError] = useState<string | null>(null);
  const [mode, setMode] = useState<LiveOrder['mode']>('connecting');
  const accept = useCallback((next: Order) => {
    setOrder((prev) => (same(prev, next) ? prev : next));
    setError(null);
  }, []);
  const idRef = useRef(id);
  idRef.current = id;

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    const fatal = (err: unknown) =>
      err instanceof ApiError && (err.status === 401 || err.status === 403 || (err.status === 404 && !err.isMissingRoute));

    async function readOnce(): Promise<boolean> {
      try {
        accept(await api.getOrder(id, signal));
        return true;
      } catch (err) {
        if (signal.aborted) return false;
        if (fatal(err)) {
          setError(errorText(err));
          return false;
        }
        return true; // a slow projection (503) or a network blip: try again next time
      }
    }

    async function poll(): Promise<void> {
      setMode('poll');
      while (!signal.aborted) {
        if (document.visibilityState !== 'hidden' && !(await readOnce())) return;
        await pause(liveSettings.pollMs, signal);
      }
    }

    async function follow(): Promise<void> {
      while (!signal.aborted) {
        if (streamSupported === false) return poll();
        try {
          await api.streamOrder(
            id,
            (next) => {
              streamSupported = true;
              setMode('stream');
              accept(next);
            },
            signal,
          );
        } catch (err) {
          if (signal.aborted) return;
          if (isMissingRoute(err)) {
            streamSupported = false;
            continue;
          }
          if (fatal(err)) {
            setError(errorText(err));
            return;
          }
        }
        if (signal.aborted) return;
        // The stream ended or broke: catch up once, then reconnect.
        if (!(await readOnce())) return;
        await pause(liveSettings.reconnectMs, signal);
      }
    }

    void follow();
    return () => controller.abort();
  }, [id, accept]);

  const refresh = useCallback(async () => {
    try {
      accept(await api.getOrder(idRef.current));
    } catch {
      // the live connection keeps trying
    }
  }, [accept]);

  return { order, error, mode, refresh };
}
