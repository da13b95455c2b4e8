import { fetchJson } from '@/lib/api-client';
import { apiUrl, streamUrl } from '@/lib/env';
import { hoursParam, type TimeRange } from '@/lib/time-range';
import { parsePoints } from '@/features/live-metrics/api/parse';
import type { SeriesPoint } from '@/lib/series-buffer';

/** Points per sparkline asked of the server (downsampled, spikes kept). */
export const SPARK_HISTORY_POINTS = 60;

/** GET /metrics as sent: the overview reads `state`, `unit`/`meta` when the server has them. */
export function getCatalogRows(signal?: AbortSignal): Promise<unknown> {
  return fetchJson(apiUrl('/metrics'), { signal });
}

export async function getSparkHistory(metric: string, range: TimeRange, signal?: AbortSignal): Promise<SeriesPoint[]> {
  const path = `/metrics/${encodeURIComponent(metric)}/series`;
  return parsePoints(await fetchJson(apiUrl(path, { hours: hoursParam(range), max_points: SPARK_HISTORY_POINTS }), { signal }));
}

/** Every metric, the newest point of each at most once a second (SPEC §6). */
export function overviewStreamUrl(): string {
  return streamUrl({ metric: '*', mode: 'latest' });
}
