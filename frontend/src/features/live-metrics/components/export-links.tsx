import { useI18n } from '@/lib/i18n';
import type { TimeRange } from '@/lib/time-range';
import { exportUrl } from '../api/export';

/** CSV of the current metric and range: plain, Excel, Excel for `;` locales. */
export function ExportLinks({ metric, range }: { metric: string | null; range: TimeRange }) {
  const { t } = useI18n();
  if (!metric) return null;
  return (
    <div className="export-links" role="group" aria-label={t('exportTitle')}>
      <span className="toolbar-label">{t('exportTitle')}</span>
      <a className="button button-small" data-testid="export-csv" href={exportUrl(metric, range)} download>
        {t('exportCsv')}
      </a>
      <a className="button button-small" data-testid="export-excel" href={exportUrl(metric, range, 'excel')} download>
        {t('exportExcel')}
      </a>
      <a className="button button-small" data-testid="export-excel-eu" href={exportUrl(metric, range, 'excel-eu')} download>
        {t('exportExcelEu')}
      </a>
    </div>
  );
}
