import type { SeriesPoint } from './series-buffer';

/**
 * At most ~`maxPoints` points for drawing: equal time buckets reduced to their min and max
 * (in time order), so spikes stay visible; alert points are always kept.
 */
export function downsampleMinMax(points: readonly SeriesPoint[], maxPoints: number): readonly SeriesPoint[] {
  if (points.length <= maxPoints || points.length < 3) return points;
  const buckets = Math.max(1, Math.floor(maxPoints / 2));
  const first = points[0]!.ts;
  const width = (points[points.length - 1]!.ts - first) / buckets || 1;
  const out: SeriesPoint[] = [];
  let i = 0;
  while (i < points.length) {
    const bucket = Math.min(buckets - 1, Math.floor((points[i]!.ts - first) / width));
    let j = i;
    let min = i;
    let max = i;
    while (j < points.length && Math.min(buckets - 1, Math.floor((points[j]!.ts - first) / width)) === bucket) {
      if (points[j]!.value < points[min]!.value) min = j;
      if (points[j]!.value > points[max]!.value) max = j;
      j++;
    }
    for (let k = i; k < j; k++) {
      if (k === min || k === max || points[k]!.alert) out.push(points[k]!);
    }
    i = j;
  }
  // The newest point is what the eye follows: always draw it.
  const last = points[points.length - 1]!;
  if (out[out.length - 1] !== last) out.push(last);
  return out;
}
