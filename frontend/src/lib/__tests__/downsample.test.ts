// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { downsampleMinMax, reduceBuckets } from '../downsample';
import type { SeriesPoint } from '../series-buffer';

const series = (n: number, value: (i: number) => number, alertAt = -1): SeriesPoint[] =>
  Array.from({ length: n }, (_, i) => ({ ts: i * 1000, value: value(i), alert: i === alertAt }));

describe('downsampleMinMax', () => {
  it('leaves short series alone', () => {
    const points = series(10, (i) => i);
    expect(downsampleMinMax(points, 100)).toBe(points);
  });

  it('bounds the count and keeps order, spikes, alerts and the newest point', () => {
    const points = series(5000, (i) => (i === 1234 ? 1e6 : i === 4321 ? -1e6 : Math.sin(i)), 2500);
    const out = downsampleMinMax(points, 500);
    expect(out.length).toBeLessThanOrEqual(502);
    expect(out.every((p, i) => i === 0 || p.ts > out[i - 1]!.ts)).toBe(true);
    expect(out.some((p) => p.value === 1e6)).toBe(true);
    expect(out.some((p) => p.value === -1e6)).toBe(true);
    expect(out.some((p) => p.ts === 2_500_000)).toBe(true);
    expect(out[out.length - 1]).toBe(points[points.length - 1]);
  });
});

describe('reduceBuckets', () => {
  const points: SeriesPoint[] = [
    { ts: 0, value: 5 },
    { ts: 1, value: 9 },
    { ts: 2, value: 1, alert: false },
    { ts: 3, value: 4, alert: true },
    { ts: 4, value: 6 },
    { ts: 10, value: 7 },
    { ts: 11, value: 3 },
    { ts: 12, value: 2 },
    { ts: 20, value: 8 },
  ];
  const bucketOf = (ts: number) => Math.floor(ts / 10);

  it('keeps each bucket\'s min, max and alerts, in time order', () => {
    const out: SeriesPoint[] = [];
    expect(reduceBuckets(points, bucketOf, out)).toBe(points.length);
    expect(out.map((p) => p.ts)).toEqual([1, 2, 3, 10, 12, 20]);
  });

  it('stops at the first bucket the caller wants kept whole', () => {
    const out: SeriesPoint[] = [];
    expect(reduceBuckets(points, bucketOf, out, (i) => points[i]!.ts >= 10)).toBe(5);
    expect(out.map((p) => p.ts)).toEqual([1, 2, 3]);
  });
});
