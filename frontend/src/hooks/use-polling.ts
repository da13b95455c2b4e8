import { useCallback, useEffect, useRef } from 'react';

export interface PollingOptions {
  /** One read. Its signal aborts when a newer run starts, when `key` changes and on unmount. */
  task: (signal: AbortSignal) => Promise<unknown>;
  /** How long after a run ends the next one starts, from whether it succeeded. */
  delayMs: (ok: boolean) => number;
  /** A new key starts over (a run at once); while false nothing runs. */
  key?: unknown;
  enabled?: boolean;
  /** Run at once when the tab becomes visible again (a hidden tab may poll slowly). */
  runWhenVisible?: boolean;
}

/**
 * Runs `task` now, then again `delayMs(ok)` after each run ends (never two at a time). The
 * returned `reload` runs it at once, aborting the run in flight; the latest `task` and `delayMs`
 * are used, so callers need not memoise them.
 */
export function usePolling({ task, delayMs, key, enabled = true, runWhenVisible = false }: PollingOptions): () => void {
  const taskRef = useRef(task);
  const delayRef = useRef(delayMs);
  taskRef.current = task;
  delayRef.current = delayMs;
  const reloadRef = useRef<() => void>(() => {});

  useEffect(() => {
    if (!enabled) return undefined;
    let controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const run = () => {
      if (timer !== null) clearTimeout(timer);
      controller.abort();
      controller = new AbortController();
      const { signal } = controller;
      void taskRef.current(signal).then(
        () => schedule(signal, true),
        () => schedule(signal, false),
      );
    };
    // A run that was aborted (a newer one started, or the hook stopped) schedules nothing.
    const schedule = (signal: AbortSignal, ok: boolean) => {
      if (!signal.aborted) timer = setTimeout(run, delayRef.current(ok));
    };
    const onVisible = () => {
      if (!document.hidden) run();
    };
    reloadRef.current = run;
    run();
    if (runWhenVisible) document.addEventListener('visibilitychange', onVisible);
    return () => {
      document.removeEventListener('visibilitychange', onVisible);
      if (timer !== null) clearTimeout(timer);
      controller.abort();
      reloadRef.current = () => {};
    };
  }, [key, enabled, runWhenVisible]);

  return useCallback(() => reloadRef.current(), []);
}
