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
