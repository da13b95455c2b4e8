import { memo, useCallback, useMemo } from 'react';
import { Bar, BarChart, CartesianGrid, Cell, Tooltip, XAxis, YAxis } from 'recharts';
import { useStableArray } from '@/hooks/use-stable-array';
import { distribution } from '@/lib/histogram';
import { niceScale } from '@/lib/ticks';
import { useI18n } from '@/lib/i18n';
import type { SeriesPoint } from '@/lib/series-buffer';
import { useChartTheme } from './chart-colors';
import { ThresholdLines } from './chart-overlays';

export interface BarMetricProps {
  points: readonly SeriesPoint[];
  /** The current baseline; thresholds are mean ± k·std. */
  mean: number | null;
  std: number | null;
  /** The metric's alert threshold k (its effective rule, from the server); null: none drawn yet. */
  k: number | null;
  bins?: number;
  height?: number;
  /** The chart's accessible name. */
  label: string;
}

const MARGIN = { top: 16, right: 16, bottom: 4, left: 4 };
const CURSOR = { fillOpacity: 0.1 };
const EMPTY_DOMAIN: [number, number] = [0, 1];


/** The distribution of the visible values with the alert thresholds marked. */
function BarMetricChart({ points, mean, std, k, bins = 24, height = 240, label }: BarMetricProps) {
  const { fmt, t } = useI18n();
  const { colors, axis, tooltip } = useChartTheme();
  const thresholds = useMemo(
    () => (mean !== null && std !== null && k !== null ? [mean - k * std, mean + k * std] : []),
    [mean, std, k],
  );
  const [low, high] = thresholds;
  const { data, scales } = useMemo(() => {
    const shape = distribution(points.map((point) => point.value), bins, thresholds);
    const data = shape?.bins ?? [];
    const most = data.reduce((top, bin) => Math.max(top, bin.count), 0);
    const counts = niceScale(0, Math.max(4, most), 4);
    // Counts are whole: a 2.5 step would label half a point.
    const yScale = { domain: counts.domain, ticks: [...new Set(counts.ticks.map((tick) => Math.round(tick)))] };
    return { data, scales: { xDomain: shape?.domain ?? EMPTY_DOMAIN, xTicks: shape?.ticks ?? [], yScale } };
  }, [points, bins, thresholds]);
  const xDomain = useStableArray(scales.xDomain);
  const xTicks = useStableArray(scales.xTicks);
  const yDomain = useStableArray(scales.yScale.domain);
  const yTicks = useStableArray(scales.yScale.ticks);
  const xTick = useCallback((value: number) => fmt.number(value), [fmt]);
  // From the extent, not the bins: the formatter keeps its identity while the counts change.
  const tooltipLabel = useCallback(
    (mid: unknown) => {
      const half = (xDomain[1]! - xDomain[0]!) / bins / 2;
      return `${fmt.number(Number(mid) - half)} – ${fmt.number(Number(mid) + half)}`;
    },
    [xDomain, bins, fmt],
  );
  const tooltipValue = useCallback((value: unknown) => [fmt.integer(Number(value)), t('count')], [fmt, t]);
  const size = useMemo(() => ({ width: '100%', height }), [height]);
  const lines = useMemo(
    () =>
      low !== undefined && high !== undefined && k !== null
        ? [{ x: low, label: `−${fmt.number(k)}σ` }, { x: high, label: `+${fmt.number(k)}σ` }]
        : [],
    [low, high, k, fmt],
  );
  const outside = (mid: number) => low !== undefined && high !== undefined && (mid < low || mid > high);

  return (
    // A picture with a name, not a tab stop: its numbers are in the panel's hint and tooltips.
    <BarChart
      responsive
      style={size}
      data={data}
      margin={MARGIN}
      barCategoryGap={1}
      accessibilityLayer={false}
      role="img"
      aria-label={label}
      title={label}
    >
        <CartesianGrid stroke={colors.grid} strokeDasharray="3 3" vertical={false} />
        <XAxis
          dataKey="mid"
          type="number"
          domain={xDomain}
          ticks={xTicks}
          tickFormatter={xTick}
          {...axis}
        />
        <YAxis
          domain={yDomain}
          ticks={yTicks}
          allowDecimals={false}
          width={40}
          {...axis}
        />
        <Tooltip
          isAnimationActive={false}
          cursor={CURSOR}
          labelFormatter={tooltipLabel}
          formatter={tooltipValue as never}
          contentStyle={tooltip}
        />
        <Bar dataKey="count" isAnimationActive={false} name={t('count')}>
          {data.map((bin) => (
            <Cell key={bin.mid} fill={outside(bin.mid) ? colors.alert : colors.bar} />
          ))}
        </Bar>
        <ThresholdLines lines={lines} stroke={colors.threshold} />
    </BarChart>
  );
}

export const BarMetric = memo(BarMetricChart);
