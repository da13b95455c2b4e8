import { useEffect, useMemo, useSyncExternalStore } from 'react';
import { usePolling } from '@/hooks/use-polling';
import { useWebSocket, type WebSocketFactory } from '@/hooks/use-websocket';
import { rangeMs, type TimeRange } from '@/lib/time-range';
import { getCatalogRows, getSparkHistory, overviewStreamUrl } from '../api/overview';
import { TileStore } from '../lib/tiles';

const CATALOG_REFRESH_MS = 30_000;
/** Sparkline histories fetched at once (only for the tiles on screen). */
const HISTORY_CONCURRENCY = 4;

/**
 * Every metric's tile: the catalog (values, states, units), then one `metric=*&mode=latest`
 * socket. On each (re)connect the catalog is read again, which covers whatever was missed.
 */
export function useOverview(range: TimeRange, createSocket?: WebSocketFactory) {
  const store = useMemo(() => new TileStore(rangeMs(range)), [range]);
  const reload = usePolling({
    key: store,
    task: (signal) => getCatalogRows(signal).then((rows) => store.applyCatalog(rows)),
    delayMs: () => CATALOG_REFRESH_MS,
  });

  const connection = useWebSocket({
    key: `overview|${range}`,
    getUrl: () => overviewStreamUrl(),
    onMessage: (data) => store.applyMessage(data),
    onOpen: (info) => {
      if (info.reconnect) reload();
    },
    createSocket,
  });
  return { store, connection };
}

/** The store's version, re-read at most every `intervalMs` (a tick per second, not per message). */
export function useStoreVersion(store: TileStore, intervalMs: number): number {
  const subscribe = useMemo(() => {
    return (notify: () => void) => {
      let timer: ReturnType<typeof setTimeout> | null = null;
      const unsubscribe = store.subscribe(() => {
        timer ??= setTimeout(() => {
          timer = null;
          notify();
        }, intervalMs);
      });
      return () => {
        if (timer !== null) clearTimeout(timer);
        unsubscribe();
      };
    };
  }, [store, intervalMs]);
  return useSyncExternalStore(subscribe, store.getVersion, store.getVersion);
}

/** Seeds the sparklines of the metrics on screen with their history, a few requests at a time. */
export function useSparkHistory(store: TileStore, metrics: readonly string[], range: TimeRange): void {
  const asked = useMemo(() => new Set<string>(), [store]);
  const key = metrics.join('\n');
  useEffect(() => {
    const controller = new AbortController();
    const queue = key ? key.split('\n').filter((metric) => !asked.has(metric)) : [];
    const next = async (): Promise<void> => {
      const metric = queue.shift();
      if (metric === undefined || controller.signal.aborted) return;
      asked.add(metric);
      try {
        store.seed(metric, await getSparkHistory(metric, range, controller.signal));
      } catch {
        if (controller.signal.aborted) asked.delete(metric);
      }
      return next();
    };
    for (let i = 0; i < HISTORY_CONCURRENCY; i++) void next();
    return () => controller.abort();
  }, [store, asked, key, range]);
}
