// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { isStale, orderTiles, readState, sparkPath, SPARK_POINTS, TileStore, type Tile } from '../lib/tiles';

const message = (metric: string, value: number, ts: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ type: 'metric', data: { metric, value, ts }, alert: false, ...extra });

function tile(metric: string, state: Tile['state'], ts: number | null = 0): Tile {
  return { metric, value: 1, ts, state, unit: null, label: null, spark: [] };
}

describe('readState', () => {
  it('reads the state field, a string or an object', () => {
    expect(readState({ state: 'pending', alert: true })).toBe('pending');
    expect(readState({ state: { state: 'firing' } })).toBe('firing');
  });
  it('falls back on the point alert flag, else normal', () => {
    expect(readState({ alert: true })).toBe('firing');
    expect(readState({ alert: false })).toBe('normal');
    expect(readState({ state: 'weird' })).toBe('normal');
  });
});

describe('orderTiles', () => {
  it('puts firing first, then pending, then normal, by name within each', () => {
    const order = orderTiles([tile('b', 'normal'), tile('z', 'firing'), tile('a', 'normal'), tile('p', 'pending'), tile('c', 'firing')]);
    expect(order.map((t) => t.metric)).toEqual(['c', 'z', 'p', 'a', 'b']);
  });
  it('filters by name, case-insensitively', () => {
    expect(orderTiles([tile('Room.Temp', 'normal'), tile('cpu', 'normal')], 'room').map((t) => t.metric)).toEqual(['Room.Temp']);
  });
});

describe('isStale', () => {
  it('is stale after three usual intervals, at least the floor', () => {
    const t = { ...tile('m', 'normal', 100_000), spark: [[80_000, 1], [90_000, 1], [100_000, 1]] as [number, number][] };
    expect(isStale(t, 125_000)).toBe(false); // 25 s < 3 × 10 s
    expect(isStale(t, 131_000)).toBe(true);
    expect(isStale({ ...t, spark: [] }, 109_000)).toBe(false); // the 10 s floor
    expect(isStale({ ...t, spark: [] }, 111_000)).toBe(true);
    expect(isStale(tile('n', 'normal', null), 0)).toBe(true);
  });
});

describe('sparkPath', () => {
  it('spans the box, lowest value at the bottom', () => {
    expect(sparkPath([[0, 0], [10, 5], [20, 10]], 100, 20)).toBe('M0.0,19.0L50.0,10.0L100.0,1.0');
    expect(sparkPath([[0, 1]], 100, 20)).toBe('');
  });
});

describe('TileStore', () => {
  it('takes the catalog, then newer messages; never an older point as the current value', () => {
    const store = new TileStore(60_000);
    store.applyCatalog([{ metric: 'cpu', last_value: 10, last_ts: '2025-01-01T00:00:00Z', simulated: true, unit: '%' }]);
    store.applyMessage(message('cpu', 12, '2025-01-01T00:00:01Z', { state: 'pending' }));
    store.applyMessage(message('cpu', 3, '2024-12-31T23:59:00Z'));
    const cpu = store.get('cpu')!;
    expect(cpu.value).toBe(12);
    expect(cpu.unit).toBe('%');
    expect(cpu.state).toBe('normal'); // the state of the metric after its latest message
    expect(cpu.spark.map(([, v]) => v)).toEqual([12]); // the late point fell outside the range kept
  });
  it('adds metrics that appear on the stream and drops those the catalog no longer lists', () => {
    const store = new TileStore(60_000);
    store.applyMessage(message('new.one', 1, '2025-01-01T00:00:00Z', { alert: true }));
    expect(store.get('new.one')!.state).toBe('firing');
    store.applyCatalog([{ metric: 'other', last_value: 1, last_ts: '2025-01-01T00:00:00Z' }]);
    expect(store.get('new.one')).toBeUndefined();
    expect(store.size).toBe(1);
  });
  it('keeps a bounded sparkline, history merged under live points', () => {
    const store = new TileStore(10 * 60_000);
    store.applyCatalog([{ metric: 'm', last_value: 1, last_ts: '2025-01-01T00:00:00Z' }]);
    const t0 = Date.parse('2025-01-01T00:00:00Z');
    store.seed('m', Array.from({ length: 100 }, (_, i) => ({ ts: t0 - 300_000 + i * 3000, value: i })));
    for (let i = 1; i <= 60; i++) store.applyMessage(message('m', 1000 + i, new Date(t0 + i * 1000).toISOString()));
    const spark = store.get('m')!.spark;
    expect(spark.length).toBe(SPARK_POINTS);
    expect(spark[spark.length - 1]).toEqual([t0 + 60_000, 1060]);
    expect(spark.every(([ts], i) => i === 0 || ts > spark[i - 1]![0])).toBe(true);
  });
  it('notifies subscribers and moves its version', () => {
    const store = new TileStore(60_000);
    let calls = 0;
    const unsubscribe = store.subscribe(() => calls++);
    store.applyMessage(message('a', 1, '2025-01-01T00:00:00Z'));
    store.applyMessage('not json');
    unsubscribe();
    store.applyMessage(message('a', 2, '2025-01-01T00:00:01Z'));
    expect(calls).toBe(1);
    expect(store.getVersion()).toBe(2);
  });
});
