import { act, renderHook } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { usePolling, type PollingOptions } from '../use-polling';

/** A task whose runs the test settles one by one, and the clock it advances. */
function controlledTask() {
  const runs: { signal: AbortSignal; resolve: () => void; reject: () => void }[] = [];
  const task = (signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      runs.push({ signal, resolve, reject: () => reject(new Error('down')) });
    });
  /** Settles run `i` (or not), lets `ms` pass, and says how many runs have started. */
  const after = async (ms: number, settle?: { run: number; ok: boolean }) => {
    if (settle) await act(async () => (settle.ok ? runs[settle.run]!.resolve() : runs[settle.run]!.reject()));
    await act(async () => {
      vi.advanceTimersByTime(ms);
    });
    return runs.length;
  };
  return { runs, task, after };
}

describe('usePolling', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs now, then the delay for a success or a failure after each run ends', async () => {
    const { task, after } = controlledTask();
    const delayMs = vi.fn((ok: boolean) => (ok ? 1000 : 50));
    renderHook(() => usePolling({ task, delayMs }));
    // Nothing more while a run is in flight, however long it takes.
    expect(await after(5000)).toBe(1);
    expect(await after(49, { run: 0, ok: false })).toBe(1);
    expect(delayMs).toHaveBeenLastCalledWith(false);
    expect(await after(1)).toBe(2);
    expect(await after(1000, { run: 1, ok: true })).toBe(3);
    expect(delayMs).toHaveBeenLastCalledWith(true);
  });

  it('reload runs at once and aborts the run in flight, which then schedules nothing', async () => {
    const { runs, task, after } = controlledTask();
    const { result } = renderHook(() => usePolling({ task, delayMs: () => 1000 }));
    act(() => result.current());
    expect(runs).toHaveLength(2);
    expect(runs[0]!.signal.aborted).toBe(true);
    // The aborted run ending late starts no timer of its own: the current run stays in flight.
    expect(await after(5000, { run: 0, ok: true })).toBe(2);
    expect(runs[1]!.signal.aborted).toBe(false);
    expect(await after(1000, { run: 1, ok: true })).toBe(3);
  });

  it('starts over on a new key, stops on unmount, and does nothing while disabled', async () => {
    const { runs, task, after } = controlledTask();
    const { rerender, unmount } = renderHook((props: Partial<PollingOptions>) => usePolling({ task, delayMs: () => 10, ...props }), {
      initialProps: { key: 'a', enabled: true },
    });
    rerender({ key: 'b', enabled: true });
    expect(runs.map((run) => run.signal.aborted)).toEqual([true, false]);

    rerender({ key: 'b', enabled: false });
    expect(runs[1]!.signal.aborted).toBe(true);
    expect(await after(1000)).toBe(2);

    rerender({ key: 'b', enabled: true });
    unmount();
    expect(runs.map((run) => run.signal.aborted)).toEqual([true, true, true]);
    expect(await after(1000, { run: 2, ok: true })).toBe(3);
  });

  it('with runWhenVisible, runs when the tab shows again', () => {
    const { runs, task } = controlledTask();
    renderHook(() => usePolling({ task, delayMs: () => 60_000, runWhenVisible: true }));
    act(() => {
      document.dispatchEvent(new Event('visibilitychange'));
    });
    expect(runs).toHaveLength(2);
  });
});
