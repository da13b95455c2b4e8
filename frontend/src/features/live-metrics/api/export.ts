import { apiUrl } from '@/lib/env';
import { toRfc3339 } from '@/lib/time';
import { hoursParam, type TimeRange } from '@/lib/time-range';
import type { TimeWindow } from './types';

export type ExportFormat = 'csv' | 'excel' | 'excel-eu';

export interface ExportOptions {
  format?: ExportFormat;
  /** An absolute window (a snapshot's) instead of the last `range`. */
  window?: TimeWindow | null;
  /** IANA zone for the timestamps; the server names it in the header (`ts (Europe/Madrid)`). */
  timeZone?: string | null;
  /** Add the z-score and alert columns. */
  scores?: boolean;
}

/** The viewer's IANA zone, or null when the browser cannot say. */
export function viewerTimeZone(): string | null {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
  } catch {
    return null;
  }
}

/**
 * GET /export/csv for the metric and range (or window); plain CSV unless a spreadsheet preset is
 * asked. The server names the file (SPEC §5: metric, range or window, and preset), so each button
 * saves its own file.
 */
export function exportUrl(metric: string, range: TimeRange, options: ExportOptions = {}): string {
  const { format = 'csv', window = null, timeZone = null, scores = false } = options;
  return apiUrl('/export/csv', {
    metric,
    ...(window ? { from: toRfc3339(window.from), to: toRfc3339(window.to) } : { hours: hoursParam(range) }),
    format: format === 'csv' ? undefined : format,
    tz: timeZone && timeZone !== 'UTC' ? timeZone : undefined,
    columns: scores ? 'zscore,alert' : undefined,
  });
}
