import { act, renderHook } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { useTimeWindow } from '../use-time-window';

const NOW = Date.parse('2025-01-01T01:00:00Z');
const now = () => NOW;

describe('useTimeWindow', () => {
  afterEach(() => window.history.replaceState(null, '', '/'));

  it('follows live without a window, and writes zoom, pan and reset to the URL, keeping the rest', () => {
    window.history.replaceState(null, '', '/?view=compare&metrics=a,b&range=1h');
    const { result } = renderHook(() => useTimeWindow('1h', { now }));
    expect(result.current).toMatchObject({ from: NOW - 3_600_000, to: NOW, live: true, fixed: null });

    act(() => result.current.zoom(NOW - 60_000, NOW - 120_000));
    expect(window.location.search).toBe('?view=compare&metrics=a,b&range=1h&from=2025-01-01T00%3A58%3A00.000Z&to=2025-01-01T00%3A59%3A00.000Z');
    expect(result.current).toMatchObject({ from: NOW - 120_000, to: NOW - 60_000, live: false });
    const fixed = result.current.fixed;

    act(() => result.current.pan(-0.5));
    expect(result.current.fixed).toEqual({ from: NOW - 150_000, to: NOW - 90_000 });
    expect(result.current.fixed).not.toBe(fixed);

    act(() => result.current.reset());
    expect(window.location.search).toBe('?view=compare&metrics=a,b&range=1h');
    expect(result.current.live).toBe(true);
  });

  it('keeps one object per window across renders', () => {
    window.history.replaceState(null, '', '/?from=2025-01-01T00:00:00Z&to=2025-01-01T00:30:00Z');
    const { result, rerender } = renderHook(() => useTimeWindow('1h', { now }));
    const first = result.current.fixed;
    rerender();
    expect(result.current.fixed).toBe(first);
    expect(first).toEqual({ from: NOW - 3_600_000, to: NOW - 1_800_000 });
  });

  it('shows a frozen window (a snapshot) that nothing moves', () => {
    window.history.replaceState(null, '', '/snapshot/x');
    const frozen = { from: 1000, to: 2000 };
    const { result } = renderHook(() => useTimeWindow('1h', { frozen, now }));
    expect(result.current).toMatchObject({ from: 1000, to: 2000, live: false, fixed: frozen });
    act(() => result.current.zoom(1200, 1800));
    expect(window.location.pathname + window.location.search).toBe('/snapshot/x');
  });
});
