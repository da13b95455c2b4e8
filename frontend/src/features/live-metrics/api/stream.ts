import { streamUrl } from '@/lib/env';
import type { SeriesBuffer } from '@/lib/series-buffer';
import { toRfc3339 } from '@/lib/time';
import type { SeriesHistory } from './types';

/**
 * Where a stream client stands (SPEC §6): the last `seq` received per metric. Each metric's
 * points arrive in `seq` order, so a `seq` at or below the last one is a point already held (a
 * replay overlapping the resume seam) and is dropped; a reconnect resumes with
 * `since=<metric>:<seq>`, one per metric, which replays every stored point after it — late points
 * with old timestamps included — whichever process ingested them.
 */
export class StreamCursor {
  private readonly seqs = new Map<string, number>();

  /** True for a new point (it becomes the metric's position); false for a duplicate to drop. */
  advance(metric: string, seq: number): boolean {
    const last = this.seqs.get(metric);
    if (last !== undefined && seq <= last) return false;
    this.seqs.set(metric, seq);
    return true;
  }

  /**
   * The `since=` values that resume `metrics`: `<metric>:<seq>` for each one a point was received
   * for, and — when some have none yet — `fallback` (a timestamp: points stored after it), which
   * the server applies to those; a point it replays twice is dropped by `advance`.
   */
  since(metrics: readonly string[], fallback: number | string | null): string[] {
    const cursors: string[] = [];
    for (const metric of metrics) {
      const seq = this.seqs.get(metric);
      if (seq !== undefined) cursors.push(`${metric}:${seq}`);
    }
    if (cursors.length < metrics.length && fallback !== null) {
      cursors.push(typeof fallback === 'string' ? fallback : toRfc3339(fallback));
    }
    return cursors;
  }
}

/**
 * Takes a metric's history answer into its buffer. A live answer's `seq` becomes the metric's
 * position, so the first socket resumes after it (`since=<metric>:<seq>`): a point stored while
 * the answer loaded is replayed, and a live point the answer already holds is dropped.
 */
export function takeHistory(buffer: SeriesBuffer, cursor: StreamCursor, metric: string, history: SeriesHistory): void {
  buffer.merge(history.points);
  if (history.seq !== undefined) cursor.advance(metric, history.seq);
}

/** The stream URL for `metrics`, resumed from `since` (see `StreamCursor.since`). */
export function metricStreamUrl(metrics: string | readonly string[], since: readonly string[] = []): string {
  return streamUrl({ metric: typeof metrics === 'string' ? [metrics] : metrics, since: since.length ? since : undefined });
}
