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

interface ChartTooltipProps {
  meta?: MetricMeta;
  // Filled in by Recharts.
  active?: boolean;
  payload?: readonly { payload?: TooltipRow }[];
}

/** The hovered point: time, value with unit, z, the baseline μ ± σ, and the metric's state. */
export function ChartTooltip({ meta = NO_META, active, payload }: ChartTooltipProps) {
  const { fmt, t } = useI18n();
  const row = payload?.[0]?.payload;
  if (!active || !row || row.value === null) return null;
  const hasBaseline = row.mean !== null && row.mean !== undefined && row.std !== null && row.std !== undefined;
  return (
    <div className="chart-tooltip" data-testid="chart-tooltip">
      <p className="chart-tooltip-time">{fmt.dateTime(row.ts)}</p>
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
