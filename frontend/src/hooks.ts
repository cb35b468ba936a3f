import { useCallback, useEffect, useRef, useState } from 'react';
import { api, errorText, type ShopConfig } from './api';

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  /** Load again (e.g. after a command); keeps showing the old data meanwhile. */
  reload: () => Promise<T | null>;
}

/**
 * Run `load` when `deps` change, aborting the previous run. Errors become text.
 * `load` receives an AbortSignal to hand to the api client.
 */
export function useLoader<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const controllerRef = useRef<AbortController | null>(null);
  const loadRef = useRef(load);
  loadRef.current = load;

  const run = useCallback(async (): Promise<T | null> => {
    controllerRef.current?.abort();
    const controller = new AbortController();
    controllerRef.current = controller;
    setLoading(true);
    try {
      const result = await loadRef.current(controller.signal);
      if (controller.signal.aborted) return null;
      setData(result);
      setError(null);
      return result;
    } catch (err) {
      if (controller.signal.aborted) return null;
      setError(errorText(err));
      return null;
    } finally {
      if (!controller.signal.aborted) setLoading(false);
    }
  }, []);

  useEffect(() => {
    void run();
    return () => controllerRef.current?.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);

  return { data, error, loading, reload: run };
}

/** Set the document title for a page. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Event Shop` : 'Event Shop';
  }, [title]);
}

let configRequest: Promise<ShopConfig | null> | null = null;

/** GET /config, once per page load (null while loading or when it failed). */
export function useShopConfig(): ShopConfig | null {
  const [config, setConfig] = useState<ShopConfig | null>(null);
  useEffect(() => {
    let live = true;
    if (!configRequest) {
      configRequest = api.config().catch(() => {
        configRequest = null; // try again next time
        return null;
      });
    }
    void configRequest.then((c) => live && setConfig(c));
    return () => {
      live = false;
    };
  }, []);
  return config;
}

export function resetShopConfigForTests(): void {
  configRequest = null;
}

/** True while the page is visible (document.visibilityState), updated as it changes. */
export function usePageVisible(): boolean {
  const [visible, setVisible] = useState(() => typeof document === 'undefined' || document.visibilityState !== 'hidden');
  useEffect(() => {
    const update = () => setVisible(document.visibilityState !== 'hidden');
    document.addEventListener('visibilitychange', update);
    return () => document.removeEventListener('visibilitychange', update);
  }, []);
  return visible;
}
