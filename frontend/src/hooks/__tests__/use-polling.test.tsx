import { act, renderHook } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { usePolling, type PollingOptions } from '../use-polling';

/** A task whose runs are settled by the test, one by one. */
function controlledTask() {
  const runs: { signal: AbortSignal; resolve: () => void; reject: () => void }[] = [];
  const task = (signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      runs.push({ signal, resolve, reject: () => reject(new Error('down')) });
    });
  return { runs, task };
}

async function settle(fn: () => void) {
  await act(async () => {
    fn();
    await Promise.resolve();
  });
}

describe('usePolling', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs now, then the delay for a success or a failure after each run ends', async () => {
    const { runs, task } = controlledTask();
    const delayMs = vi.fn((ok: boolean) => (ok ? 1000 : 50));
    renderHook(() => usePolling({ task, delayMs }));
    expect(runs).toHaveLength(1);

    // Nothing more while a run is in flight, however long it takes.
    await act(async () => vi.advanceTimersByTime(5000));
    expect(runs).toHaveLength(1);

    await settle(() => runs[0]!.reject());
    expect(delayMs).toHaveBeenLastCalledWith(false);
    await act(async () => vi.advanceTimersByTime(49));
    expect(runs).toHaveLength(1);
    await act(async () => vi.advanceTimersByTime(1));
    expect(runs).toHaveLength(2);

    await settle(() => runs[1]!.resolve());
    expect(delayMs).toHaveBeenLastCalledWith(true);
    await act(async () => vi.advanceTimersByTime(1000));
    expect(runs).toHaveLength(3);
  });

  it('reload runs at once and aborts the run in flight, which then schedules nothing', async () => {
    const { runs, task } = controlledTask();
    const { result } = renderHook(() => usePolling({ task, delayMs: () => 1000 }));
    await settle(() => result.current());
    expect(runs).toHaveLength(2);
    expect(runs[0]!.signal.aborted).toBe(true);

    // The aborted run ending late starts no timer of its own: the current run is still in flight.
    await settle(() => runs[0]!.resolve());
    await act(async () => vi.advanceTimersByTime(5000));
    expect(runs).toHaveLength(2);
    expect(runs[1]!.signal.aborted).toBe(false);

    await settle(() => runs[1]!.resolve());
    await act(async () => vi.advanceTimersByTime(1000));
    expect(runs).toHaveLength(3);
  });

  it('starts over on a new key, stops on unmount, and does nothing while disabled', async () => {
    const { runs, task } = controlledTask();
    const { rerender, unmount } = renderHook((props: Partial<PollingOptions>) => usePolling({ task, delayMs: () => 10, ...props }), {
      initialProps: { key: 'a', enabled: true },
    });
    rerender({ key: 'b', enabled: true });
    expect(runs).toHaveLength(2);
    expect(runs[0]!.signal.aborted).toBe(true);

    rerender({ key: 'b', enabled: false });
    expect(runs[1]!.signal.aborted).toBe(true);
    await act(async () => vi.advanceTimersByTime(1000));
    expect(runs).toHaveLength(2);

    rerender({ key: 'b', enabled: true });
    expect(runs).toHaveLength(3);
    unmount();
    expect(runs[2]!.signal.aborted).toBe(true);
    await settle(() => runs[2]!.resolve());
    await act(async () => vi.advanceTimersByTime(1000));
    expect(runs).toHaveLength(3);
  });

  it('with runWhenVisible, runs when the tab shows again', async () => {
    const { runs, task } = controlledTask();
    renderHook(() => usePolling({ task, delayMs: () => 60_000, runWhenVisible: true }));
    await settle(() => document.dispatchEvent(new Event('visibilitychange')));
    expect(runs).toHaveLength(2);
  });
});
