import { useState } from 'react';
import { useI18n } from '@/lib/i18n';
import type { TimeRange } from '@/lib/time-range';
import { exportUrl, viewerTimeZone, type ExportFormat } from '../api/export';
import type { TimeWindow } from '../api/types';

const FORMATS: readonly { format: ExportFormat; testId: string; label: 'exportCsv' | 'exportExcel' | 'exportExcelEu' }[] = [
  { format: 'csv', testId: 'export-csv', label: 'exportCsv' },
  { format: 'excel', testId: 'export-excel', label: 'exportExcel' },
  { format: 'excel-eu', testId: 'export-excel-eu', label: 'exportExcelEu' },
];

/**
 * CSV of the current metric and range (a snapshot: its own window), in the viewer's time zone:
 * plain, Excel, Excel for `;` locales; optionally with the z-score and alert columns.
 */
export function ExportLinks({ metric, range, window = null }: { metric: string | null; range: TimeRange; window?: TimeWindow | null }) {
  const { t } = useI18n();
  const [scores, setScores] = useState(false);
  if (!metric) return null;
  const timeZone = viewerTimeZone();
  return (
    <div className="export-links" role="group" aria-label={t('exportTitle')}>
      <span className="toolbar-label" title={timeZone ? t('exportZone', { zone: timeZone }) : undefined}>
        {t('exportTitle')}
      </span>
      {FORMATS.map(({ format, testId, label }) => (
        <a
          key={format}
          className="button button-small"
          data-testid={testId}
          href={exportUrl(metric, range, { format, window, timeZone, scores })}
          download
        >
          {t(label)}
        </a>
      ))}
      <label className="export-option">
        <input type="checkbox" data-testid="export-scores" checked={scores} onChange={(event) => setScores(event.target.checked)} />
        {t('exportColumns')}
      </label>
    </div>
  );
}
