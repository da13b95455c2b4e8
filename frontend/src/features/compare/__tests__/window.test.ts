// @vitest-environment node
import { describe, expect, it } from 'vitest';
import {
  axisSides,
  chartRows,
  compareFromState,
  legendStats,
  mergeRows,
  nearest,
  readCompareQuery,
  writeCompareQuery,
} from '../lib/window';

const p = (ts: number, value: number) => ({ ts, value });

describe('the compare query', () => {
  it('round-trips through the URL, the window as RFC 3339', () => {
    const query = { metrics: ['traffic', 'cpu'], layout: 'stacked' as const, range: '1h' as const, from: 1000, to: 61_000 };
    const search = writeCompareQuery(query);
    expect(search).toBe('?view=compare&metrics=traffic,cpu&layout=stacked&range=1h&from=1970-01-01T00%3A00%3A01.000Z&to=1970-01-01T00%3A01%3A01.000Z');
    expect(readCompareQuery(search)).toEqual(query);
  });
  it('drops bad names, duplicates, more than eight metrics and a window that ends before it starts', () => {
    const names = ['a', 'a', 'bad name', ...Array.from({ length: 10 }, (_, i) => `m${i}`)].join(',');
    const query = readCompareQuery(`?metrics=${encodeURIComponent(names)}&from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z&layout=x`);
    expect(query.metrics).toEqual(['a', 'm0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    expect([query.from, query.to, query.layout, query.range]).toEqual([null, null, 'overlay', '15m']);
  });
  it('is restored from a snapshot state layout', () => {
    const state = { range: '1h', from: '2025-01-01T00:00:00Z', to: '2025-01-01T01:00:00Z', layout: { panels: ['compare'], view: 'compare', metrics: ['a', 'b'], mode: 'stacked' } };
    expect(compareFromState(state)).toEqual({ metrics: ['a', 'b'], layout: 'stacked', range: '1h', from: Date.parse(state.from), to: Date.parse(state.to) });
    expect(compareFromState({ layout: { panels: ['line'] } })).toBeNull();
  });
});

describe('legend, axes, rows, tooltip', () => {
  it('gives min, max and last of the points in the window', () => {
    const points = [p(0, 9), p(10, 3), p(20, 7), p(30, 5), p(40, 100)];
    expect(legendStats(points, 10, 30)).toEqual({ min: 3, max: 7, last: 5, count: 3 });
    expect(legendStats(points, 50, 60)).toEqual({ min: null, max: null, last: null, count: 0 });
  });
  it('puts a different unit on the right, the same or unknown ones on the left', () => {
    expect(axisSides(['a', 'b', 'c', 'd'], { a: '%', b: 'ms', c: '%', d: null })).toEqual(['left', 'right', 'left', 'left']);
    expect(axisSides(['a', 'b'], {})).toEqual(['left', 'left']);
  });
  it('merges series by ts inside the window, each under its own key', () => {
    expect(mergeRows([[p(0, 1), p(10, 2)], [p(10, 5), p(20, 6)]], 0, 15)).toEqual([
      { ts: 0, s0: 1 },
      { ts: 10, s0: 2, s1: 5 },
    ]);
  });
  it('finds the nearest point for the shared tooltip', () => {
    const points = [p(0, 1), p(10, 2), p(20, 3)];
    expect(nearest(points, 4)?.value).toBe(1);
    expect(nearest(points, 6)?.value).toBe(2);
    expect(nearest(points, 99)?.value).toBe(3);
    expect(nearest([], 5)).toBeNull();
  });
});

describe('chartRows', () => {
  it('keeps every point when there are few', () => {
    expect(chartRows([[p(0, 1), p(10, 2)], [p(10, 5)]], 0, 20, 2)).toEqual(mergeRows([[p(0, 1), p(10, 2)], [p(10, 5)]], 0, 20));
  });
  it('bounds the rows by the buckets, with each series min and max per bucket in time order', () => {
    const a = Array.from({ length: 1000 }, (_, i) => p(i, i === 500 ? 99 : 1));
    const b = Array.from({ length: 1000 }, (_, i) => p(i + 0.5, -i));
    const rows = chartRows([a, b], 0, 1000, 10);
    expect(rows.length).toBe(20);
    expect(rows.map((row) => row.s0)).toContain(99); // the spike survives
    expect(Math.max(...rows.map((row) => row.s0 ?? 0))).toBe(99);
    expect(rows[0]).toEqual({ ts: 25, s0: 1, s1: -0 });
    expect(rows[1]).toEqual({ ts: 75, s0: 1, s1: -99 });
    expect(rows.every((row, i) => i === 0 || row.ts > rows[i - 1]!.ts)).toBe(true);
  });
});
