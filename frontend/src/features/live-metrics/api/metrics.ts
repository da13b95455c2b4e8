import { apiUrl } from '@/lib/env';
import { fetchJson } from '@/lib/api-client';
import { hoursParam, type TimeRange } from '@/lib/time-range';
import { toRfc3339 } from '@/lib/time';
import { parseAlerts, parseCatalog, parseSeries } from './parse';
import type { AlertItem, CatalogEntry, SeriesHistory } from './types';

/** On-screen cap per series; the server downsamples long ranges to this. */
export const MAX_POINTS = 1000;

export async function getCatalog(signal?: AbortSignal): Promise<CatalogEntry[]> {
  return parseCatalog(await fetchJson(apiUrl('/metrics'), { signal }));
}

/** History for the chart; `until` (epoch ms) asks for the range ending then instead of now. */
export async function getSeries(
  metric: string,
  range: TimeRange,
  options: { until?: number; rangeMs?: number; signal?: AbortSignal } = {},
): Promise<SeriesHistory> {
  const path = `/metrics/${encodeURIComponent(metric)}/series`;
  const params: Record<string, string | number> =
    options.until !== undefined && options.rangeMs !== undefined
      ? { from: toRfc3339(options.until - options.rangeMs), to: toRfc3339(options.until), max_points: MAX_POINTS }
      : { hours: hoursParam(range), max_points: MAX_POINTS };
  return parseSeries(await fetchJson(apiUrl(path, params), { signal: options.signal }));
}

/** The metric's alerts of the range ending now, or of a fixed window (epoch ms). */
export async function getAlerts(
  metric: string,
  range: TimeRange,
  options: { window?: { from: number; to: number } | null; signal?: AbortSignal } = {},
): Promise<AlertItem[]> {
  const { window, signal } = options;
  const span = window ? { from: toRfc3339(window.from), to: toRfc3339(window.to) } : { hours: hoursParam(range) };
  const body = await fetchJson(apiUrl('/alerts', { metric, ...span }), { signal });
  return parseAlerts(body);
}
