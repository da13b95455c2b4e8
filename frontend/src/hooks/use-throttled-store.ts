import { useCallback, useSyncExternalStore } from 'react';

export interface ExternalStore<T> {
  subscribe: (listener: () => void) => () => void;
  getSnapshot: () => T;
}

/**
 * `useSyncExternalStore` with change notifications coalesced to at most one per `intervalMs`,
 * so a burst (a backfill of thousands of points) costs one render, not thousands.
 */
export function useThrottledStore<T>(store: ExternalStore<T>, intervalMs: number): T {
  const subscribe = useCallback(
    (listener: () => void) => {
      if (intervalMs <= 0) return store.subscribe(listener);
      let timer: ReturnType<typeof setTimeout> | null = null;
      let lastRun = 0;
      const unsubscribe = store.subscribe(() => {
        if (timer !== null) return;
        const wait = Math.max(0, lastRun + intervalMs - Date.now());
        timer = setTimeout(() => {
          timer = null;
          lastRun = Date.now();
          listener();
        }, wait);
      });
      return () => {
        if (timer !== null) clearTimeout(timer);
        unsubscribe();
      };
    },
    [store, intervalMs],
  );
  return useSyncExternalStore(subscribe, store.getSnapshot, store.getSnapshot);
}
