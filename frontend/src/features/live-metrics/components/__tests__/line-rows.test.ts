// @vitest-environment node
import { describe, expect, it } from 'vitest';
import type { SeriesPoint } from '@/lib/series-buffer';
import { chartRows } from '../line-metric';

const points: SeriesPoint[] = [
  { ts: 0, value: 10, mean: 10, std: 1 },
  { ts: 1000, value: 11, mean: 10, std: 2 },
];

describe('chartRows', () => {
  it('draws the band with the k it is given, and none before k is known', () => {
    expect(chartRows(points, 2.5, 600, []).rows.map((row) => row.band)).toEqual([[7.5, 12.5], [5, 15]]);
    expect(chartRows(points, 4, 600, []).rows.map((row) => row.band)).toEqual([[6, 14], [2, 18]]);
    expect(chartRows(points, null, 600, []).rows.map((row) => row.band)).toEqual([null, null]);
  });
});
