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

export async function getAlerts(metric: string, range: TimeRange, signal?: AbortSignal): Promise<AlertItem[]> {
  const body = await fetchJson(apiUrl('/alerts', { metric, hours: hoursParam(range) }), { signal });
  return parseAlerts(body);
}
