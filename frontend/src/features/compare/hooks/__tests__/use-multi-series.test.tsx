import { act, renderHook, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeSocketFactory, metricMessage } from '@/testing/fake-websocket';
import { mockFetch } from '@/testing/mock-fetch';
import { seriesBody } from '@/testing/server-bodies';
import { useMultiSeries } from '../use-multi-series';

const T0 = Date.parse('2025-09-27T02:00:00Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();
const METRICS = ['traffic', 'cpu'];

function history(metric: string, seconds: number[], seq?: number) {
  const body = seriesBody(metric, seconds.map((s) => ({ ts: iso(s), value: 100 + s })));
  return seq === undefined ? body : { ...body, seq };
}

async function setup(answers: Record<string, { status?: number; body: unknown }>) {
  mockFetch((url) => answers[decodeURIComponent(url.pathname.split('/')[2] ?? '')]);
  const fake = fakeSocketFactory();
  const hook = renderHook(() => useMultiSeries({ metrics: METRICS, range: '15m', fixed: null, live: true, createSocket: fake.factory }));
  await waitFor(() => expect(fake.sockets).toHaveLength(1));
  return { ...fake, hook };
}

describe('useMultiSeries', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('opens the stream after the seq of each live history answer, drops a live point an answer holds and resumes from the last seq', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const { hook, last, sockets } = await setup({
      traffic: { body: history('traffic', [0, 1, 2], 41) },
      cpu: { body: history('cpu', [0, 1], 7) },
    });
    expect(last().searchParams.getAll('metric')).toEqual(METRICS);
    expect(last().searchParams.getAll('since')).toEqual(['traffic:41', 'cpu:7']);

    act(() => {
      last().open();
      last().receive(metricMessage('traffic', iso(2), 666, { seq: 41 })); // the answer holds it
      last().receive(metricMessage('cpu', iso(1.5), 77, { seq: 8 })); // stored while it loaded
    });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1000);
    });
    const [traffic, cpu] = hook.result.current.series;
    expect(traffic!.map((point) => point.value)).toEqual([100, 101, 102]);
    expect(cpu!.map((point) => point.value)).toEqual([100, 101, 77]);

    act(() => last().serverClose(1013, 'too slow'));
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1000);
    });
    expect(sockets).toHaveLength(2);
    expect(last().searchParams.getAll('since')).toEqual(['traffic:41', 'cpu:8']);
  });

  it('opens with a timestamp for a metric whose history carries no seq', async () => {
    const { last } = await setup({
      traffic: { body: history('traffic', [0, 1, 2], 41) },
      cpu: { status: 500, body: { detail: 'down' } },
    });
    const since = last().searchParams.getAll('since');
    expect(since).toHaveLength(2);
    expect(since[0]).toBe('traffic:41');
    expect(since[1]).toMatch(/^\d{4}-\d\d-\d\dT/);
  });
});
