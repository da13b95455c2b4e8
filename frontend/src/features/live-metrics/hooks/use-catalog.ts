import { useCallback, useEffect, useRef, useState } from 'react';
import { getCatalog } from '../api/metrics';
import type { CatalogEntry } from '../api/types';

const REFRESH_MS = 30_000;
/** While the server is unreachable, ask again sooner. */
const RETRY_MS = 5_000;

export interface CatalogState {
  entries: CatalogEntry[];
  error: boolean;
  loaded: boolean;
}

/** The metric catalog, refreshed now and then so new metrics show up in the selector. */
export function useCatalog(enabled = true): CatalogState & { reload: () => void } {
  const [state, setState] = useState<CatalogState>({ entries: [], error: false, loaded: false });
  const reloadRef = useRef<() => void>(() => {});

  useEffect(() => {
    if (!enabled) return;
    let controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const load = () => {
      if (timer !== null) clearTimeout(timer);
      controller.abort();
      controller = new AbortController();
      const { signal } = controller;
      getCatalog(signal)
        .then((entries) => {
          setState({ entries, error: false, loaded: true });
          timer = setTimeout(load, REFRESH_MS);
        })
        .catch(() => {
          if (signal.aborted) return;
          setState((previous) => ({ ...previous, error: true, loaded: true }));
          timer = setTimeout(load, RETRY_MS);
        });
    };
    reloadRef.current = load;
    load();
    return () => {
      if (timer !== null) clearTimeout(timer);
      controller.abort();
      reloadRef.current = () => {};
    };
  }, [enabled]);

  const reload = useCallback(() => reloadRef.current(), []);
  return { ...state, reload };
}
