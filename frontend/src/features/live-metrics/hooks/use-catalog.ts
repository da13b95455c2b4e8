import { useCallback, useEffect, useRef, useState } from 'react';
import { usePolling } from '@/hooks/use-polling';
import { getCatalog } from '../api/metrics';
import { parseCatalogEvent } from '../api/parse';
import type { CatalogEntry, CatalogEvent } from '../api/types';

/**
 * A metric that starts reporting joins the selector within a second (SPEC §8): the server
 * announces it on the stream of incident events (`applyMessage`). The catalog is still read now
 * and then, for the values and meta on the cards and for anything announced while the socket was
 * down; a hidden tab asks far less often.
 */
const REFRESH_MS = 15_000;
const HIDDEN_REFRESH_MS = 30_000;
/** While the server is unreachable, ask again sooner. */
const RETRY_MS = 5_000;
/** Announcements that come together (a batch of new metrics) cost one read of the catalog. */
const ANNOUNCED_READ_DELAY_MS = 200;

export interface CatalogState {
  entries: CatalogEntry[];
  error: boolean;
  loaded: boolean;
}

export interface Catalog extends CatalogState {
  reload: () => void;
  /** A stream message: a catalog announcement changes the list at once; anything else is ignored. */
  applyMessage: (data: unknown) => void;
}

/** The metric catalog, kept current by the stream's announcements and a slow refresh. */
export function useCatalog(enabled = true): Catalog {
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

  const readSoon = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (readSoon.current !== null) clearTimeout(readSoon.current);
    },
    [],
  );
  const applyMessage = useCallback(
    (data: unknown) => {
      const event = parseCatalogEvent(data);
      if (!event) return;
      setState((previous) => {
        const entries = withEvent(previous.entries, event);
        return entries === previous.entries ? previous : { ...previous, entries };
      });
      // Read the catalog again for the new entry's value and meta; the read also replaces any read
      // in flight, which may have started before the announcement and would undo it.
      if (readSoon.current === null) {
        readSoon.current = setTimeout(() => {
          readSoon.current = null;
          reload();
        }, ANNOUNCED_READ_DELAY_MS);
      }
    },
    [reload],
  );
  return { ...state, reload, applyMessage };
}

/** The entries after an announcement, sorted by name as GET /metrics is; the same array if unchanged. */
export function withEvent(entries: CatalogEntry[], { event, metric }: CatalogEvent): CatalogEntry[] {
  const known = entries.some((entry) => entry.metric === metric);
  if (event === 'removed') return known ? entries.filter((entry) => entry.metric !== metric) : entries;
  if (known) return entries;
  const entry: CatalogEntry = { metric, lastValue: null, lastTs: null, simulated: false, unit: null, label: null, decimals: null };
  return [...entries, entry].sort((a, b) => a.metric.localeCompare(b.metric));
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
