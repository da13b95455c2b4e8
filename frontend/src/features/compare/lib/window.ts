/**
 * The compare view's state in the URL (`?view=compare&metrics=a,b&layout=overlay&range=15m`
 * `&from=…&to=…`, the window as lib/time-window.ts reads and writes it), legend statistics,
 * axis sides and the rows one chart draws.
 */
import { DEFAULT_RANGE, isTimeRange, type TimeRange } from '@/lib/time-range';
import { parseWindow, readWindow, writeWindow } from '@/lib/time-window';
import { isMetricName } from '@/lib/url-state';
import type { SeriesPoint } from '@/lib/series-buffer';

export const MAX_METRICS = 8;
export const LAYOUTS = ['overlay', 'stacked'] as const;
export type Layout = (typeof LAYOUTS)[number];

export interface CompareQuery {
  metrics: string[];
  layout: Layout;
  range: TimeRange;
  /** Both set: a fixed window (zoomed, panned or picked); neither: the preset, following live. */
  from: number | null;
  to: number | null;
}

export function readCompareQuery(search: string): CompareQuery {
  const params = new URLSearchParams(search);
  const metrics = [...new Set((params.get('metrics') ?? '').split(',').filter(isMetricName))].slice(0, MAX_METRICS);
  const layout = params.get('layout');
  const range = params.get('range');
  const fixed = readWindow(params);
  return {
    metrics,
    layout: layout === 'stacked' ? 'stacked' : 'overlay',
    range: isTimeRange(range) ? range : DEFAULT_RANGE,
    from: fixed?.from ?? null,
    to: fixed?.to ?? null,
  };
}

export function writeCompareQuery(query: CompareQuery): string {
  const params = new URLSearchParams({ view: 'compare', metrics: query.metrics.join(','), layout: query.layout, range: query.range });
  writeWindow(params, query.from !== null && query.to !== null ? { from: query.from, to: query.to } : null);
  return `?${params.toString().replace(/%2C/g, ',')}`;
}

export interface LegendStats {
  min: number | null;
  max: number | null;
  last: number | null;
  count: number;
}

/** Min, max and last of the points inside [from, to]. */
export function legendStats(points: readonly SeriesPoint[], from: number, to: number): LegendStats {
  let min = Infinity;
  let max = -Infinity;
  let last: number | null = null;
  let count = 0;
  for (const point of points) {
    if (point.ts < from || point.ts > to) continue;
    min = Math.min(min, point.value);
    max = Math.max(max, point.value);
    last = point.value;
    count++;
  }
  return count ? { min, max, last, count } : { min: null, max: null, last: null, count: 0 };
}

/** Each metric's axis side: the first unit on the left, any other unit on the right. */
export function axisSides(metrics: readonly string[], units: Readonly<Record<string, string | null>>): ('left' | 'right')[] {
  const first = metrics.map((metric) => units[metric] ?? null).find((unit) => unit !== null) ?? null;
  return metrics.map((metric) => {
    const unit = units[metric] ?? null;
    return unit !== null && first !== null && unit !== first ? 'right' : 'left';
  });
}

export type Row = { ts: number } & Record<string, number | null>;

/** One row per distinct ts in the window, series `i` under `s<i>` (null where it has no point). */
export function mergeRows(series: readonly (readonly SeriesPoint[])[], from: number, to: number): Row[] {
  const byTs = new Map<number, Row>();
  series.forEach((points, i) => {
    for (const point of points) {
      if (point.ts < from || point.ts > to) continue;
      let row = byTs.get(point.ts);
      if (!row) {
        row = { ts: point.ts } as Row;
        byTs.set(point.ts, row);
      }
      row[`s${i}`] = point.value;
    }
  });
  return [...byTs.values()].sort((a, b) => a.ts - b.ts);
}

/** The point of `points` (sorted by ts) nearest to `ts`, for the shared tooltip. */
export function nearest(points: readonly SeriesPoint[], ts: number): SeriesPoint | null {
  if (!points.length) return null;
  let lo = 0;
  let hi = points.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid]!.ts < ts) lo = mid + 1;
    else hi = mid;
  }
  const after = points[lo]!;
  const before = lo > 0 ? points[lo - 1]! : after;
  return ts - before.ts <= after.ts - ts ? before : after;
}

/** The compare view a snapshot's state restores (`layout.view === 'compare'`), or null. */
export function compareFromState(state: Record<string, unknown>): CompareQuery | null {
  const layout = state.layout;
  if (typeof layout !== 'object' || layout === null || (layout as Record<string, unknown>).view !== 'compare') return null;
  const { metrics, mode } = layout as Record<string, unknown>;
  const fixed = parseWindow(state.from, state.to);
  return {
    metrics: Array.isArray(metrics) ? metrics.filter(isMetricName).slice(0, MAX_METRICS) : [],
    layout: mode === 'stacked' ? 'stacked' : 'overlay',
    range: isTimeRange(state.range) ? state.range : DEFAULT_RANGE,
    from: fixed?.from ?? null,
    to: fixed?.to ?? null,
  };
}

/**
 * The rows a chart draws: every point when the series hold few (`mergeRows`), else a shared grid of
 * `buckets` time buckets, two rows each carrying every series' min and max of that bucket in time
 * order — so several series cost at most 2 × `buckets` rows and spikes stay visible.
 */
export function chartRows(series: readonly (readonly SeriesPoint[])[], from: number, to: number, buckets: number): Row[] {
  let inside = 0;
  for (const points of series) for (const point of points) if (point.ts >= from && point.ts <= to) inside++;
  if (inside <= 2 * buckets) return mergeRows(series, from, to);
  const width = (to - from) / buckets;
  const rows: (Row | undefined)[] = new Array(2 * buckets);
  series.forEach((points, i) => {
    const low: (SeriesPoint | undefined)[] = new Array(buckets);
    const high: (SeriesPoint | undefined)[] = new Array(buckets);
    for (const point of points) {
      if (point.ts < from || point.ts > to) continue;
      const b = Math.min(buckets - 1, Math.floor((point.ts - from) / width));
      if (!low[b] || point.value < low[b]!.value) low[b] = point;
      if (!high[b] || point.value > high[b]!.value) high[b] = point;
    }
    for (let b = 0; b < buckets; b++) {
      const lo = low[b];
      const hi = high[b];
      if (!lo || !hi) continue;
      const [first, second] = lo.ts <= hi.ts ? [lo, hi] : [hi, lo];
      for (const [slot, point] of [[2 * b, first], [2 * b + 1, second]] as const) {
        const row = (rows[slot] ??= { ts: from + (slot + 0.5) * (width / 2) } as Row);
        row[`s${i}`] = point.value;
      }
    }
  });
  return rows.filter((row): row is Row => row !== undefined);
}
