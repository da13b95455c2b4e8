import { useEffect, useState } from 'react';
import { getCatalog } from '../api/metrics';
import type { CatalogEntry } from '../api/types';

const REFRESH_MS = 30_000;

/** The metric catalog, refreshed now and then so new metrics show up in the selector. */
export function useCatalog(enabled = true): { entries: CatalogEntry[]; error: boolean; loaded: boolean } {
  const [state, setState] = useState<{ entries: CatalogEntry[]; error: boolean; loaded: boolean }>({
    entries: [],
    error: false,
    loaded: false,
  });
  useEffect(() => {
    if (!enabled) return;
    let controller = new AbortController();
    const load = () => {
      controller = new AbortController();
      getCatalog(controller.signal)
        .then((entries) => setState({ entries, error: false, loaded: true }))
        .catch(() => {
          if (!controller.signal.aborted) setState((previous) => ({ ...previous, error: true, loaded: true }));
        });
    };
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      clearInterval(timer);
      controller.abort();
    };
  }, [enabled]);
  return state;
}
