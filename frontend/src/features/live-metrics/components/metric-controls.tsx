import { RangeSelect } from '@/components/range-select';
import { Select } from '@/components/select';
import { useI18n } from '@/lib/i18n';
import { metricTitle } from '@/lib/metric-format';
import type { TimeRange } from '@/lib/time-range';
import type { CatalogEntry } from '../api/types';

export interface MetricControlsProps {
  catalog: readonly CatalogEntry[];
  metric: string | null;
  range: TimeRange;
  onMetricChange: (metric: string) => void;
  onRangeChange: (range: TimeRange) => void;
  /** A fixed window is shown: the range reads "Custom" until a preset is picked. */
  custom?: boolean;
}

/** The metric (from the catalog) and the time range; both live in the URL. */
export function MetricControls({ catalog, metric, range, onMetricChange, onRangeChange, custom = false }: MetricControlsProps) {
  const { t } = useI18n();
  // The URL may name a metric the catalog does not list (yet): keep it selectable.
  const names = catalog.map((entry) => entry.metric);
  const byName = new Map(catalog.map((entry) => [entry.metric, entry]));
  if (metric && !names.includes(metric)) names.unshift(metric);
  const options = names.length
    ? names.map((name) => ({ value: name, label: byName.has(name) ? metricTitle(name, byName.get(name)) : name }))
    : [{ value: '', label: t('noMetrics') }];
  return (
    <div className="controls">
      <Select
        label={t('metric')}
        testId="metric-select"
        value={metric ?? ''}
        options={options}
        onChange={onMetricChange}
        disabled={!names.length}
      />
      <RangeSelect value={range} onChange={onRangeChange} custom={custom} />
    </div>
  );
}
