import { memo, useMemo } from 'react';
import { Bar, BarChart, CartesianGrid, Cell, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useColorScheme } from '@/hooks/use-color-scheme';
import { histogram } from '@/lib/histogram';
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
  const outside = (mid: number) => low !== undefined && high !== undefined && (mid < low || mid > high);

  return (
    <ResponsiveContainer width="100%" height={height}>
      <BarChart data={data} margin={{ top: 16, right: 16, bottom: 4, left: 4 }} barCategoryGap={1}>
        <CartesianGrid stroke={colors.grid} strokeDasharray="3 3" vertical={false} />
        <XAxis
          dataKey="mid"
          type="number"
          domain={data.length ? [data[0]!.start, data[data.length - 1]!.end] : [0, 1]}
          tickFormatter={(value: number) => fmt.number(value)}
          stroke={colors.axis}
          tick={{ fill: colors.axis, fontSize: 12 }}
          minTickGap={16}
        />
        <YAxis allowDecimals={false} stroke={colors.axis} tick={{ fill: colors.axis, fontSize: 12 }} width={40} />
        <Tooltip
          isAnimationActive={false}
          cursor={{ fillOpacity: 0.1 }}
          labelFormatter={(mid) => {
            const bin = data.find((item) => item.mid === Number(mid));
            return bin ? `${fmt.number(bin.start)} – ${fmt.number(bin.end)}` : fmt.number(Number(mid));
          }}
          formatter={(value) => [fmt.integer(Number(value)), t('count')]}
          contentStyle={{ background: colors.tooltipBg, color: colors.tooltipText, borderRadius: 8 }}
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
            label={{ value: `${i ? '+' : '−'}${k}σ`, position: 'top', fill: colors.threshold, fontSize: 12 }}
          />
        ))}
      </BarChart>
    </ResponsiveContainer>
  );
}

export const BarMetric = memo(BarMetricChart);
