// @vitest-environment node
import { describe, expect, it } from 'vitest';
import {
  parseAlerts,
  parseCatalog,
  parseCreatedSnapshot,
  parseSeries,
  parseSnapshot,
  parseStreamMessage,
} from '../parse';

const ms = (text: string) => Date.parse(text);

describe('parseStreamMessage', () => {
  it('reads the §6 message', () => {
    const message = parseStreamMessage(
      JSON.stringify({
        type: 'metric',
        data: { metric: 'traffic', value: 101.2, ts: '2025-09-27T02:33:11Z' },
        alert: true,
        zscore: 3.01,
        mean: 95.0,
        std: 2.06,
        n: 300,
      }),
    );
    expect(message).toEqual({
      metric: 'traffic',
      point: {
        ts: ms('2025-09-27T02:33:11Z'),
        value: 101.2,
        tsRaw: '2025-09-27T02:33:11Z',
        alert: true,
        zscore: 3.01,
        mean: 95,
        std: 2.06,
        state: 'normal',
        pending: 0,
      },
      alert: true,
      zscore: 3.01,
      mean: 95,
      std: 2.06,
      n: 300,
    });
  });

  it('accepts null z-score/mean/std (warming up) and microsecond timestamps', () => {
    const message = parseStreamMessage({
      type: 'metric',
      data: { metric: 'cpu', value: 1, ts: '2025-09-27T02:33:11.123456Z' },
      alert: false,
      zscore: null,
      mean: null,
      std: null,
      n: 2,
    });
    expect(message?.point.ts).toBe(ms('2025-09-27T02:33:11.123Z'));
    expect(message?.point.tsRaw).toBe('2025-09-27T02:33:11.123456Z');
    expect(message?.zscore).toBeNull();
  });

  it('ignores other types and malformed messages', () => {
    expect(parseStreamMessage('{"type":"ping"}')).toBeNull();
    expect(parseStreamMessage('nope')).toBeNull();
    expect(parseStreamMessage({ type: 'metric', data: { metric: 'x', value: 'NaN', ts: '2025-09-27T02:33:11Z' } })).toBeNull();
    expect(parseStreamMessage({ type: 'metric', data: { metric: 'x', value: 1, ts: 'yesterday' } })).toBeNull();
  });
});

describe('parseSeries', () => {
  it('reads points and flags the alert points, adding those downsampling dropped', () => {
    const series = parseSeries(
      {
        metric: 'traffic',
        points: [
          { ts: '2025-09-27T02:00:02Z', value: 3 },
          { ts: '2025-09-27T02:00:00Z', value: 1 },
        ],
        alerts: [
          { ts: '2025-09-27T02:00:00Z', value: 1, zscore: -3 },
          { ts: '2025-09-27T02:00:01Z', value: 50, zscore: 4, extra: 'ignored' },
        ],
      },
      'traffic',
    );
    expect(series.points.map((point) => [point.value, point.alert ?? false])).toEqual([
      [1, true],
      [50, true],
      [3, false],
    ]);
    expect(series.alerts[0]).toMatchObject({ metric: 'traffic', value: 50, zscore: 4 });
  });

  it('tolerates a bare list, [ts, value] pairs and epoch seconds', () => {
    expect(parseSeries([[1_700_000_000, 5]], 'x').points).toEqual([
      { ts: 1_700_000_000_000, value: 5, tsRaw: new Date(1_700_000_000_000).toISOString() },
    ]);
    expect(parseSeries({ points: [{ ts: 'bad', value: 1 }, null] }, 'x').points).toEqual([]);
  });
});

describe('parseAlerts', () => {
  it('sorts newest first and keeps unknown fields out of the way', () => {
    const alerts = parseAlerts([
      { metric: 'a', value: 1, ts: '2025-09-27T02:00:00Z', zscore: 3, id: 7, alert: true },
      { metric: 'a', value: 2, ts: '2025-09-27T03:00:00Z', zscore: -2.6 },
    ]);
    expect(alerts.map((alert) => alert.value)).toEqual([2, 1]);
    expect(alerts[1]).toEqual({ metric: 'a', value: 1, ts: ms('2025-09-27T02:00:00Z'), tsRaw: '2025-09-27T02:00:00Z', zscore: 3 });
  });
});

describe('parseCatalog', () => {
  it('reads the catalog', () => {
    expect(
      parseCatalog([
        { metric: 'traffic', last_value: 101.2, last_ts: '2025-09-27T02:33:11Z', simulated: true },
        { metric: 'cpu', last_value: null, last_ts: null, simulated: false },
      ]),
    ).toEqual([
      { metric: 'cpu', lastValue: null, lastTs: null, simulated: false },
      { metric: 'traffic', lastValue: 101.2, lastTs: ms('2025-09-27T02:33:11Z'), simulated: true },
    ]);
  });
});

describe('snapshots', () => {
  it('reads the 201 answer', () => {
    expect(
      parseCreatedSnapshot({ id: 'abc', url: '/snapshot/abc', created_at: '2025-09-27T02:33:11Z', delete_key: 'k' }),
    ).toEqual({ id: 'abc', url: '/snapshot/abc', createdAt: ms('2025-09-27T02:33:11Z'), deleteKey: 'k' });
  });

  it('reads a snapshot without data', () => {
    const snapshot = parseSnapshot({ id: 'abc', state: { selectedMetric: 'cpu' }, created_at: '2025-09-27T02:33:11Z' });
    expect(snapshot).toEqual({ id: 'abc', state: { selectedMetric: 'cpu' }, createdAt: ms('2025-09-27T02:33:11Z'), data: null });
  });

  it('reads frozen data in either per-metric shape', () => {
    const snapshot = parseSnapshot({
      id: 'abc',
      state: {},
      created_at: '2025-09-27T02:33:11Z',
      data: {
        series: {
          traffic: [{ ts: '2025-09-27T02:00:00Z', value: 1 }],
          cpu: { points: [{ ts: '2025-09-27T02:00:00Z', value: 2 }], alerts: [{ ts: '2025-09-27T02:00:05Z', value: 9, zscore: 3 }] },
        },
        alerts: [{ metric: 'traffic', ts: '2025-09-27T02:00:00Z', value: 1, zscore: 2.7 }],
      },
    });
    expect(snapshot.data?.series.traffic?.map((point) => point.value)).toEqual([1]);
    expect(snapshot.data?.series.cpu?.map((point) => [point.value, point.alert ?? false])).toEqual([
      [2, false],
      [9, true],
    ]);
    expect(snapshot.data?.alerts.map((alert) => alert.metric)).toEqual(['cpu', 'traffic']);
  });
});

describe('frozen alerts', () => {
  it('flags the top-level alerts on the frozen series', () => {
    const snapshot = parseSnapshot({
      id: 'abc',
      state: {},
      created_at: '2025-09-27T02:33:11Z',
      data: {
        series: { traffic: [{ ts: '2025-09-27T02:00:00Z', value: 1 }, { ts: '2025-09-27T02:00:01Z', value: 9 }] },
        alerts: [{ ts: '2025-09-27T02:00:01Z', value: 9, zscore: 3 }],
      },
    });
    expect(snapshot.data?.series.traffic?.map((point) => point.alert ?? false)).toEqual([false, true]);
    expect(snapshot.data?.alerts[0]?.metric).toBe('traffic');
  });
});
