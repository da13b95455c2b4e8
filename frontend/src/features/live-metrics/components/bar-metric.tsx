import { memo, useCallback, useMemo } from 'react';
import { Bar, BarChart, CartesianGrid, Cell, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useColorScheme } from '@/hooks/use-color-scheme';
import { histogram } from '@/lib/histogram';
import { niceScale } from '@/lib/ticks';
import { useI18n } from '@/lib/i18n';
import type { SeriesPoint } from '@/lib/series-buffer';
import { ALERT_SIGMA, chartColors } from './chart-colors';

export interface BarMetricProps {
  points: readonly SeriesPoint[];
  /** The current baseline; thresholds are mean ± k·std. */
  mean: number | null;
  std: number | null;
  k?: number;
  bins?: number;
  height?: number;
}

const MARGIN = { top: 16, right: 16, bottom: 4, left: 4 };
const CURSOR = { fillOpacity: 0.1 };

/** The distribution of the visible values with the alert thresholds marked. */
function BarMetricChart({ points, mean, std, k = ALERT_SIGMA, bins = 24, height = 240 }: BarMetricProps) {
  const { fmt, t } = useI18n();
  const colors = chartColors(useColorScheme());
  const thresholds = useMemo(
    () => (mean !== null && std !== null ? [mean - k * std, mean + k * std] : []),
    [mean, std, k],
  );
  const [low, high] = thresholds;
  const data = useMemo(() => histogram(points.map((point) => point.value), bins, thresholds), [points, bins, thresholds]);
  const { xDomain, xTicks, yScale } = useMemo(() => {
    const xDomain: [number, number] = data.length ? [data[0]!.start, data[data.length - 1]!.end] : [0, 1];
    const xTicks = niceScale(xDomain[0], xDomain[1], 4).ticks.filter((tick) => tick >= xDomain[0] && tick <= xDomain[1]);
    const most = data.reduce((top, bin) => Math.max(top, bin.count), 0);
    const counts = niceScale(0, Math.max(4, most), 4);
    // Counts are whole: a 2.5 step would label half a point.
    const yScale = { domain: counts.domain, ticks: [...new Set(counts.ticks.map((tick) => Math.round(tick)))] };
    return { xDomain, xTicks, yScale };
  }, [data]);
  const xTick = useCallback((value: number) => fmt.number(value), [fmt]);
  const tickStyle = useMemo(() => ({ fill: colors.axis, fontSize: 12 }), [colors]);
  const tooltipStyle = useMemo(
    () => ({ background: colors.tooltipBg, color: colors.tooltipText, borderRadius: 8 }),
    [colors],
  );
  const tooltipLabel = useCallback(
    (mid: unknown) => {
      const bin = data.find((item) => item.mid === Number(mid));
      return bin ? `${fmt.number(bin.start)} – ${fmt.number(bin.end)}` : fmt.number(Number(mid));
    },
    [data, fmt],
  );
  const tooltipValue = useCallback((value: unknown) => [fmt.integer(Number(value)), t('count')], [fmt, t]);
  const labels = useMemo(
    () =>
      ['−', '+'].map((sign) => ({ value: `${sign}${k}σ`, position: 'top' as const, fill: colors.threshold, fontSize: 12 })),
    [k, colors],
  );
  const outside = (mid: number) => low !== undefined && high !== undefined && (mid < low || mid > high);

  return (
    <ResponsiveContainer width="100%" height={height}>
      <BarChart data={data} margin={MARGIN} barCategoryGap={1}>
        <CartesianGrid stroke={colors.grid} strokeDasharray="3 3" vertical={false} />
        <XAxis
          dataKey="mid"
          type="number"
          domain={xDomain}
          ticks={xTicks}
          interval={0}
          tickFormatter={xTick}
          stroke={colors.axis}
          tick={tickStyle}
        />
        <YAxis
          domain={yScale.domain}
          ticks={yScale.ticks}
          interval={0}
          allowDecimals={false}
          stroke={colors.axis}
          tick={tickStyle}
          width={40}
        />
        <Tooltip
          isAnimationActive={false}
          cursor={CURSOR}
          labelFormatter={tooltipLabel}
          formatter={tooltipValue as never}
          contentStyle={tooltipStyle}
        />
        <Bar dataKey="count" isAnimationActive={false} name={t('count')}>
          {data.map((bin) => (
            <Cell key={bin.mid} fill={outside(bin.mid) ? colors.alert : colors.bar} />
          ))}
        </Bar>
        {thresholds.map((value, i) => (
          <ReferenceLine
            key={i}
            x={value}
            stroke={colors.threshold}
            strokeDasharray="6 4"
            strokeWidth={2}
            ifOverflow="extendDomain"
            label={labels[i]}
          />
        ))}
      </BarChart>
    </ResponsiveContainer>
  );
}

export const BarMetric = memo(BarMetricChart);
