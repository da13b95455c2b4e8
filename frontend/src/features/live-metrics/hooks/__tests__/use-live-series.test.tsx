import { act, renderHook, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeSocketFactory, metricMessage } from '@/testing/fake-websocket';
import { mockFetch } from '@/testing/mock-fetch';
import { seriesBody } from '@/testing/server-bodies';
import { useLiveSeries } from '../use-live-series';

const T0 = Date.parse('2025-09-27T02:00:00Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();

function history(seconds: number[]) {
  return seriesBody(
    'traffic',
    seconds.map((s) => ({ ts: iso(s), value: 100 + s })),
    [{ ts: iso(seconds[1]!), value: 999, zscore: 4.2 }],
  );
}

async function setup() {
  const fetchSpy = mockFetch((url) =>
    url.pathname === '/metrics/traffic/series' ? { body: history([0, 1, 2, 3, 4]) } : undefined,
  );
  const fake = fakeSocketFactory();
  const onAlert = vi.fn();
  const hook = renderHook(() =>
    useLiveSeries({
      metric: 'traffic',
      range: '15m',
      live: true,
      onAlert,
      createSocket: fake.factory,
      now: () => T0 + 10_000,
    }),
  );
  await waitFor(() => expect(fake.sockets).toHaveLength(1));
  return { ...fake, fetchSpy, onAlert, hook };
}

describe('useLiveSeries', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('loads the history for the range and flags its alert points', async () => {
    const { hook, fetchSpy } = await setup();
    const url = new URL(String(fetchSpy.mock.calls[0]![0]), 'http://localhost');
    expect(url.searchParams.get('hours')).toBe('0.25');
    expect(url.searchParams.get('max_points')).toBe('1000');
    const points = hook.result.current.buffer.toArray();
    expect(points.map((point) => point.value)).toEqual([100, 999, 102, 103, 104]);
    expect(points[1]).toMatchObject({ alert: true, zscore: 4.2 });
  });

  it('opens the stream after the history with since= its newest point, before any seq is known', async () => {
    const { last } = await setup();
    expect(last().searchParams.get('metric')).toBe('traffic');
    expect(last().searchParams.getAll('since')).toEqual([iso(4)]);
  });

  it('opens the stream after the seq of a live history answer, and drops a live point the answer holds', async () => {
    mockFetch((url) =>
      url.pathname === '/metrics/traffic/series' ? { body: { ...history([0, 1, 2, 3, 4]), seq: 41 } } : undefined,
    );
    const fake = fakeSocketFactory();
    const hook = renderHook(() =>
      useLiveSeries({ metric: 'traffic', range: '15m', live: true, createSocket: fake.factory, now: () => T0 + 10_000 }),
    );
    await waitFor(() => expect(fake.sockets).toHaveLength(1));
    expect(fake.last().searchParams.getAll('since')).toEqual(['traffic:41']);
    act(() => {
      fake.last().open();
      fake.last().receive(metricMessage('traffic', iso(4), 666, { seq: 41 })); // the answer holds it
      fake.last().receive(metricMessage('traffic', iso(2.5), 77, { seq: 42 })); // stored while it loaded
    });
    expect(hook.result.current.buffer.toArray().map((point) => point.value)).toEqual([100, 999, 102, 77, 103, 104]);
  });

  it('opens the stream with the seq of a live history answer even when its range is empty', async () => {
    mockFetch((url) => (url.pathname === '/metrics/traffic/series' ? { body: { ...seriesBody('traffic', []), seq: 9 } } : undefined));
    const fake = fakeSocketFactory();
    renderHook(() => useLiveSeries({ metric: 'traffic', range: '15m', live: true, createSocket: fake.factory }));
    await waitFor(() => expect(fake.sockets).toHaveLength(1));
    expect(fake.last().searchParams.getAll('since')).toEqual(['traffic:9']);
  });

  it('resumes after a reconnect from the last seq, drops a replayed seq and places a late point by its ts', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const { hook, last, sockets } = await setup();
      const { buffer } = hook.result.current;
      act(() => last().open());
      expect(hook.result.current.connection.state).toBe('live');
      act(() => {
        last().receive(metricMessage('traffic', iso(5), 105, { seq: 41 }));
        last().receive(metricMessage('traffic', iso(6), 106, { seq: 42 }));
      });
      expect(buffer.size).toBe(7);

      act(() => last().serverClose(1013, 'too slow'));
      expect(hook.result.current.connection.state).toBe('reconnecting');
      await act(async () => {
        await vi.advanceTimersByTimeAsync(1000);
      });
      expect(sockets).toHaveLength(2);
      // The cursor, not a timestamp: one since= for the one metric.
      expect(last().searchParams.getAll('since')).toEqual(['traffic:42']);

      act(() => {
        last().open();
        // A replay overlapping the seam: seq 42 again (its value changed would show a duplicate
        // that overwrote), then new points, one of them late: an old ts with a new seq.
        last().receive(metricMessage('traffic', iso(6), 666, { seq: 42 }));
        last().receive(metricMessage('traffic', iso(7), 107, { seq: 43 }));
        last().receive(metricMessage('traffic', iso(2.5), 77, { seq: 44 }));
        last().receive(metricMessage('traffic', iso(8), 108, { seq: 45 }));
      });
      const points = buffer.toArray();
      expect(points.map((point) => point.ts)).toEqual([0, 1, 2, 2.5, 3, 4, 5, 6, 7, 8].map((s) => T0 + s * 1000));
      expect(points.find((point) => point.ts === T0 + 6000)?.value).toBe(106);
      expect(points.find((point) => point.ts === T0 + 2500)?.value).toBe(77);
      expect(buffer.last?.value).toBe(108);

      act(() => last().serverClose(1013, 'too slow'));
      await act(async () => {
        await vi.advanceTimersByTimeAsync(1000);
      });
      // The late point moved the cursor like any other.
      expect(last().searchParams.getAll('since')).toEqual(['traffic:45']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('ignores other metrics and other message types, and reports live alerts', async () => {
    const { hook, last, onAlert } = await setup();
    const { buffer } = hook.result.current;
    act(() => {
      last().open();
      last().receive(metricMessage('cpu', iso(5), 1));
      last().receive({ type: 'ping' });
      last().receive('not json');
      last().receive(metricMessage('traffic', iso(5), 180, { alert: true, zscore: 3.01 }));
    });
    expect(buffer.size).toBe(6);
    expect(onAlert).toHaveBeenCalledTimes(1);
    expect(onAlert).toHaveBeenCalledWith(expect.objectContaining({ metric: 'traffic', value: 180, zscore: 3.01 }));
  });

  it('still connects (without since) when the history cannot be loaded', async () => {
    mockFetch(() => ({ status: 503, body: { detail: 'database down' } }));
    const fake = fakeSocketFactory();
    const hook = renderHook(() =>
      useLiveSeries({ metric: 'traffic', range: '5m', live: true, createSocket: fake.factory }),
    );
    await waitFor(() => expect(fake.sockets).toHaveLength(1));
    expect(hook.result.current.historyState).toBe('error');
    expect(fake.last().searchParams.get('since')).toBeNull();
  });

  it('opens no socket for a snapshot', async () => {
    const fetchSpy = mockFetch(() => undefined);
    const fake = fakeSocketFactory();
    const hook = renderHook(() =>
      useLiveSeries({ metric: 'traffic', range: '5m', live: false, createSocket: fake.factory }),
    );
    expect(hook.result.current.connection.state).toBe('offline');
    expect(fake.sockets).toHaveLength(0);
    expect(fetchSpy).not.toHaveBeenCalled();
  });
});
