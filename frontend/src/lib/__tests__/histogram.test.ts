// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { distribution, histogram } from '../histogram';

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

describe('distribution', () => {
  const values = Array.from({ length: 300 }, (_, i) => 100 + (i % 50) * 0.4);

  it('bins a round extent that covers the values and the thresholds', () => {
    const shape = distribution(values, 24, [95.3, 124.1])!;
    expect(shape.domain).toEqual([90, 130]);
    expect(shape.ticks).toEqual([90, 100, 110, 120, 130]);
    expect(shape.bins).toHaveLength(24);
    expect(shape.bins[0]!.start).toBe(90);
    expect(shape.bins[23]!.end).toBeCloseTo(130);
    expect(shape.bins.reduce((sum, bin) => sum + bin.count, 0)).toBe(values.length);
  });

  it('keeps the axis and the bin edges when a new baseline moves the thresholds a little', () => {
    const before = distribution(values, 24, [95.3, 124.1])!;
    const after = distribution([...values.slice(1), 111.7], 24, [95.41, 124.02])!;
    expect(after.domain).toEqual(before.domain);
    expect(after.ticks).toEqual(before.ticks);
    expect(after.bins.map((bin) => bin.mid)).toEqual(before.bins.map((bin) => bin.mid));
  });

  it('is null without a finite value', () => {
    expect(distribution([], 24, [1, 2])).toBeNull();
    expect(distribution([Number.NaN], 24)).toBeNull();
  });
});
