import { useState } from 'react';
import { usePolling } from '@/hooks/use-polling';
import { getCatalog } from '../api/metrics';
import type { CatalogEntry } from '../api/types';

/**
 * A metric that starts reporting joins the selector within a second (SPEC §8). The catalog is one
 * small indexed table read; a hidden tab asks far less often.
 */
const REFRESH_MS = 750;
const HIDDEN_REFRESH_MS = 30_000;
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
  const reload = usePolling({
    enabled,
    runWhenVisible: true,
    task: (signal) =>
      getCatalog(signal).then(
        (entries) =>
          // Same catalog: same state object, so nothing re-renders every refresh.
          setState((previous) =>
            previous.loaded && !previous.error && sameEntries(previous.entries, entries)
              ? previous
              : { entries, error: false, loaded: true },
          ),
        (error: unknown) => {
          if (!signal.aborted) setState((previous) => ({ ...previous, error: true, loaded: true }));
          throw error;
        },
      ),
    delayMs: (ok) => (!ok ? RETRY_MS : document.hidden ? HIDDEN_REFRESH_MS : REFRESH_MS),
  });
  return { ...state, reload };
}

/** Equal for the selector and the cards: names and meta (last values change every refresh). */
function sameEntries(a: readonly CatalogEntry[], b: readonly CatalogEntry[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((entry, i) => {
    const other = b[i]!;
    return (
      entry.metric === other.metric &&
      entry.unit === other.unit &&
      entry.label === other.label &&
      entry.decimals === other.decimals &&
      entry.simulated === other.simulated
    );
  });
}
