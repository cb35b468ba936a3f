import { useCallback, useEffect, useRef, useState } from 'react';
import { errorText } from './api';

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
