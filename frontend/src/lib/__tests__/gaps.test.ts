// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { breaksIn, gapIndices, gapSpans, gapThreshold, isStale, medianInterval, MIN_GAP_MS } from '../gaps';

const every = (step: number, n: number, start = 0) => Array.from({ length: n }, (_, i) => start + i * step);

describe('gap rule', () => {
  it('takes the median interval of the series', () => {
    expect(medianInterval([])).toBeNull();
    expect(medianInterval([5])).toBeNull();
    expect(medianInterval([0, 1000, 2000, 60_000])).toBe(1000);
    expect(medianInterval([0, 1000, 3000, 6000])).toBe(2000);
    expect(medianInterval([0, 1000, 3000])).toBe(1500);
  });

  it('never breaks below 5 s, however dense the series', () => {
    expect(gapThreshold(every(100, 50))).toBe(MIN_GAP_MS);
    expect(gapIndices([...every(1000, 10), 13_000])).toEqual([]); // 4 s: drawn
    expect(gapIndices([...every(1000, 10), 15_000])).toEqual([10]); // 6 s: a gap
  });

  it('breaks over 3× the median interval for sparse series', () => {
    const ts = every(10_000, 10); // one point per 10 s
    expect(gapThreshold(ts)).toBe(30_000);
    expect(gapIndices([...ts, 90_000 + 29_000])).toEqual([]);
    expect(gapIndices([...ts, 90_000 + 31_000])).toEqual([10]);
  });

  it('finds a 40 s outage in a 1 s series, and only it', () => {
    const ts = [...every(1000, 60), ...every(1000, 60, 59_000 + 40_000)];
    expect(gapIndices(ts)).toEqual([60]);
  });

  it('breaks an interval that spans a disconnect with no point received meanwhile', () => {
    const ts = [0, 1000, 2000, 4000, 5000];
    expect(gapIndices(ts)).toEqual([]);
    expect(gapIndices(ts, [[2500, 3500]])).toEqual([3]);
    // A point arrived during the outage (backfilled): the data is whole, no break.
    expect(gapIndices([0, 1000, 2000, 3000, 4000], [[2500, 3500]])).toEqual([]);
  });

  it('calls a series stale once the newest point is older than the gap threshold', () => {
    const ts = every(1000, 30);
    expect(isStale([], 1e12)).toBe(false);
    expect(isStale(ts, 29_000 + 4_000)).toBe(false);
    expect(isStale(ts, 29_000 + 6_000)).toBe(true);
  });
});

describe('breaks in a thinned series', () => {
  it('maps the gaps of the full series onto the drawn points', () => {
    const full = [...every(1000, 100), ...every(1000, 100, 99_000 + 60_000)];
    const spans = gapSpans(full);
    expect(spans).toEqual([[99_000, 159_000]]);
    // Thinned to every 10th point: wide intervals everywhere, one real gap.
    const drawn = full.filter((_, i) => i % 10 === 0 || i === 99);
    expect(breaksIn(drawn, spans)).toEqual([drawn.indexOf(159_000)]);
    expect(breaksIn(full, spans)).toEqual([100]);
    expect(breaksIn(drawn, [])).toEqual([]);
  });
});
