// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { niceScale, timeTicks } from '../ticks';

describe('timeTicks', () => {
  it('picks a round step that fits the count, within the window', () => {
    const start = Date.UTC(2025, 8, 27, 2, 0, 7);
    const ticks = timeTicks(start, start + 5 * 60_000, 6);
    expect(ticks.length).toBeGreaterThan(1);
    expect(ticks.length).toBeLessThanOrEqual(6);
    expect(ticks.every((t) => t >= start && t <= start + 5 * 60_000)).toBe(true);
    const step = ticks[1]! - ticks[0]!;
    expect(step).toBe(60_000);
    expect(ticks[0]! % 60_000).toBe(0);
  });

  it('scales to a day', () => {
    const start = Date.UTC(2025, 8, 27, 0, 30);
    const ticks = timeTicks(start, start + 24 * 3_600_000, 6);
    expect(ticks.length).toBeLessThanOrEqual(6);
    expect(ticks[1]! - ticks[0]!).toBe(6 * 3_600_000);
  });
});

describe('niceScale', () => {
  it('rounds the domain outwards to round ticks', () => {
    expect(niceScale(83.2, 141.7)).toEqual({ domain: [80, 160], ticks: [80, 100, 120, 140, 160] });
  });

  it('keeps decimals clean and handles a flat series', () => {
    const { ticks } = niceScale(0.1, 0.33);
    expect(ticks).toEqual([0.1, 0.15, 0.2, 0.25, 0.3, 0.35]);
    const flat = niceScale(5, 5);
    expect(flat.domain[0]).toBeLessThanOrEqual(5);
    expect(flat.domain[1]).toBeGreaterThan(5);
  });
});
