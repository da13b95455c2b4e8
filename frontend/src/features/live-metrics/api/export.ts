import { apiUrl } from '@/lib/env';
import { hoursParam, type TimeRange } from '@/lib/time-range';

export type ExportFormat = 'csv' | 'excel' | 'excel-eu';

/** GET /export/csv for the metric and range; plain CSV unless a spreadsheet preset is asked. */
export function exportUrl(metric: string, range: TimeRange, format: ExportFormat = 'csv'): string {
  return apiUrl('/export/csv', {
    metric,
    hours: hoursParam(range),
    format: format === 'csv' ? undefined : format,
  });
}
