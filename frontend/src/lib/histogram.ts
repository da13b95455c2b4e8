import { niceScale } from './ticks';

export interface Bin {
  /** Inclusive lower edge; the last bin also includes its upper edge. */
  start: number;
  end: number;
  mid: number;
  count: number;
}

/**
 * Equal-width bins over [min, max] of the values, widened to include `extend` (the alert
 * thresholds) so they can be drawn on the same axis.
 */
export function histogram(values: Iterable<number>, binCount: number, extend: readonly number[] = []): Bin[] {
  let min = Infinity;
  let max = -Infinity;
  const list: number[] = [];
  for (const value of values) {
    if (!Number.isFinite(value)) continue;
    list.push(value);
    if (value < min) min = value;
    if (value > max) max = value;
  }
  if (!list.length) return [];
  for (const edge of extend) {
    if (!Number.isFinite(edge)) continue;
    min = Math.min(min, edge);
    max = Math.max(max, edge);
  }
  if (max === min) {
    // One distinct value: one bin centred on it.
    const half = Math.abs(min) * 0.01 || 0.5;
    return [{ start: min - half, end: max + half, mid: min, count: list.length }];
  }
  const count = Math.max(1, Math.floor(binCount));
  const width = (max - min) / count;
  const bins: Bin[] = Array.from({ length: count }, (_, i) => ({
    start: min + i * width,
    end: min + (i + 1) * width,
    mid: min + (i + 0.5) * width,
    count: 0,
  }));
  for (const value of list) {
    const index = Math.min(count - 1, Math.floor((value - min) / width));
    bins[index]!.count++;
  }
  return bins;
}

export interface Distribution {
  bins: Bin[];
  domain: [number, number];
  ticks: number[];
}

/**
 * Bins over a round extent (`niceScale`) of the values and the thresholds, with that extent's
 * ticks. A new baseline moves the thresholds a little with every live point; rounded, the axis
 * only moves when the data crosses a round number. Null without a finite value.
 */
export function distribution(values: readonly number[], binCount: number, thresholds: readonly number[] = []): Distribution | null {
  let min = Infinity;
  let max = -Infinity;
  for (const value of values) {
    if (!Number.isFinite(value)) continue;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  if (min > max) return null;
  for (const edge of thresholds) {
    if (!Number.isFinite(edge)) continue;
    min = Math.min(min, edge);
    max = Math.max(max, edge);
  }
  const { domain, ticks } = niceScale(min, max, 4);
  return { bins: histogram(values, binCount, domain), domain, ticks };
}
