import type { SeriesPoint } from './series-buffer';

/**
 * The one min/max bucket reducer: walk `points` (ascending ts) from `start` in runs that share
 * a bucket (`bucketOf(ts)`), and keep of each run its min, its max and its alert points, in ts
 * order, so spikes and alerts stay visible. Stops before `stop(i, kept)` is true for a run's
 * first index and returns that index (points.length when it never is), so a caller can keep the
 * rest at full resolution.
 */
export function reduceBuckets(
  points: readonly SeriesPoint[],
  bucketOf: (ts: number) => number,
  out: SeriesPoint[],
  stop: (index: number) => boolean = () => false,
): number {
  let i = 0;
  while (i < points.length && !stop(i)) {
    const bucket = bucketOf(points[i]!.ts);
    let min = i;
    let max = i;
    let j = i + 1;
    for (; j < points.length && bucketOf(points[j]!.ts) === bucket; j++) {
      if (points[j]!.value < points[min]!.value) min = j;
      if (points[j]!.value > points[max]!.value) max = j;
    }
    for (let k = i; k < j; k++) {
      if (k === min || k === max || points[k]!.alert) out.push(points[k]!);
    }
    i = j;
  }
  return i;
}

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
  reduceBuckets(points, (ts) => Math.min(buckets - 1, Math.floor((ts - first) / width)), out);
  // The newest point is what the eye follows: always draw it.
  const last = points[points.length - 1]!;
  if (out[out.length - 1] !== last) out.push(last);
  return out;
}
