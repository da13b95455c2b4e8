import { useI18n } from '@/lib/i18n';
import { formatValue, NO_META, type MetricMeta } from '@/lib/metric-format';

/** What a line row knows about its point, for the tooltip. */
export interface TooltipRow {
  ts: number;
  value: number | null;
  zscore?: number | null;
  mean?: number | null;
  std?: number | null;
  alert?: boolean;
  state?: string | null;
}

/** The point under the readout: time, value with unit, z, the baseline μ ± σ, and the metric's state. */
export function ChartTooltip({ row, meta = NO_META }: { row: TooltipRow & { value: number }; meta?: MetricMeta }) {
  const { fmt, t } = useI18n();
  const hasBaseline = row.mean !== null && row.mean !== undefined && row.std !== null && row.std !== undefined;
  return (
    <div className="chart-tooltip" data-testid="chart-tooltip">
      <time className="chart-tooltip-time" dateTime={new Date(row.ts).toISOString()}>
        {fmt.dateTime(row.ts)}
      </time>
      <dl>
        <div>
          <dt>{meta.label ?? t('value')}</dt>
          <dd data-testid="tooltip-value">{formatValue(fmt, row.value, meta)}</dd>
        </div>
        <div>
          <dt>z</dt>
          <dd data-testid="tooltip-z">{fmt.zscore(row.zscore)}</dd>
        </div>
        <div>
          <dt>μ ± σ</dt>
          <dd data-testid="tooltip-baseline">
            {hasBaseline ? `${formatValue(fmt, row.mean, meta)} ± ${formatValue(fmt, row.std, meta)}` : '—'}
          </dd>
        </div>
        {row.alert || row.state ? (
          <div>
            <dt>{t('alertState')}</dt>
            <dd data-testid="tooltip-state">{row.state ? t(stateKey(row.state)) : t('alert')}</dd>
          </div>
        ) : null}
      </dl>
    </div>
  );
}

function stateKey(state: string): 'incident_firing' | 'incident_pending' | 'normal' {
  return state === 'firing' ? 'incident_firing' : state === 'pending' ? 'incident_pending' : 'normal';
}
