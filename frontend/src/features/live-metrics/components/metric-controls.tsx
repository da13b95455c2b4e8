import { useI18n } from '@/lib/i18n';
import { metricTitle } from '@/lib/metric-format';
import { TIME_RANGES, type TimeRange } from '@/lib/time-range';
import type { CatalogEntry } from '../api/types';

export interface MetricControlsProps {
  catalog: readonly CatalogEntry[];
  metric: string | null;
  range: TimeRange;
  onMetricChange: (metric: string) => void;
  onRangeChange: (range: TimeRange) => void;
}

/** The metric (from the catalog) and the time range; both live in the URL. */
export function MetricControls({ catalog, metric, range, onMetricChange, onRangeChange }: MetricControlsProps) {
  const { t } = useI18n();
  // The URL may name a metric the catalog does not list (yet): keep it selectable.
  const names = catalog.map((entry) => entry.metric);
  const byName = new Map(catalog.map((entry) => [entry.metric, entry]));
  if (metric && !names.includes(metric)) names.unshift(metric);
  return (
    <div className="controls">
      <label className="field">
        <span className="field-label">{t('metric')}</span>
        <select
          data-testid="metric-select"
          value={metric ?? ''}
          onChange={(event) => onMetricChange(event.target.value)}
          disabled={!names.length}
        >
          {names.length ? null : <option value="">{t('noMetrics')}</option>}
          {names.map((name) => (
            <option key={name} value={name}>
              {byName.has(name) ? metricTitle(name, byName.get(name)) : name}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span className="field-label">{t('range')}</span>
        <select data-testid="range-select" value={range} onChange={(event) => onRangeChange(event.target.value as TimeRange)}>
          {TIME_RANGES.map((value) => (
            <option key={value} value={value}>
              {t(`range_${value}`)}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}
