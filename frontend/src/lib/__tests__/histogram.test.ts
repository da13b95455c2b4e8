// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { histogram } from '../histogram';

describe('histogram', () => {
  it('counts every value once in equal-width bins', () => {
    const bins = histogram([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5);
    expect(bins.map((bin) => bin.count)).toEqual([2, 2, 2, 2, 3]);
    expect(bins[0]).toMatchObject({ start: 0, end: 2, mid: 1 });
  });

  it('widens the bins to include the thresholds', () => {
    const bins = histogram([10, 11, 12], 4, [6, 16]);
    expect(bins[0]!.start).toBe(6);
    expect(bins[bins.length - 1]!.end).toBe(16);
    expect(bins.reduce((sum, bin) => sum + bin.count, 0)).toBe(3);
  });

  it('handles empty and constant inputs', () => {
    expect(histogram([], 10)).toEqual([]);
    expect(histogram([5, 5, 5], 10)).toEqual([{ start: 4.95, end: 5.05, mid: 5, count: 3 }]);
  });
});
