import { memo, useMemo } from 'react';
import { Area, CartesianGrid, ComposedChart, Line, ResponsiveContainer, Scatter, Tooltip, XAxis, YAxis } from 'recharts';
import { useColorScheme } from '@/hooks/use-color-scheme';
import { useI18n } from '@/lib/i18n';
import type { SeriesPoint } from '@/lib/series-buffer';
import { ALERT_SIGMA, chartColors } from './chart-colors';

interface Row {
  ts: number;
  value: number;
  band: [number, number] | null;
}

export interface LineMetricProps {
  points: readonly SeriesPoint[];
  /** The visible window is [end − rangeMs, end]. */
  rangeMs: number;
  end: number;
  k?: number;
  height?: number;
}

/** The live line, alert points as red dots, and the μ ± kσ band each point was scored against. */
function LineMetricChart({ points, rangeMs, end, k = ALERT_SIGMA, height = 320 }: LineMetricProps) {
  const { fmt, t } = useI18n();
  const colors = chartColors(useColorScheme());
  const { rows, alerts } = useMemo(() => {
    const rows: Row[] = [];
    const alerts: { ts: number; value: number }[] = [];
    for (const point of points) {
      const hasBand = point.mean !== null && point.mean !== undefined && point.std !== null && point.std !== undefined;
      rows.push({
        ts: point.ts,
        value: point.value,
        band: hasBand ? [point.mean! - k * point.std!, point.mean! + k * point.std!] : null,
      });
      if (point.alert) alerts.push({ ts: point.ts, value: point.value });
    }
    return { rows, alerts };
  }, [points, k]);

  return (
    <ResponsiveContainer width="100%" height={height}>
      <ComposedChart data={rows} margin={{ top: 8, right: 16, bottom: 4, left: 4 }}>
        <CartesianGrid stroke={colors.grid} strokeDasharray="3 3" />
        <XAxis
          dataKey="ts"
          type="number"
          scale="time"
          domain={[end - rangeMs, end]}
          allowDataOverflow
          tickFormatter={(ms: number) => fmt.tick(ms, rangeMs)}
          stroke={colors.axis}
          tick={{ fill: colors.axis, fontSize: 12 }}
          minTickGap={24}
        />
        <YAxis
          domain={['auto', 'auto']}
          tickFormatter={(value: number) => fmt.number(value)}
          stroke={colors.axis}
          tick={{ fill: colors.axis, fontSize: 12 }}
          width={64}
        />
        <Tooltip
          isAnimationActive={false}
          labelFormatter={(ms) => fmt.dateTime(Number(ms))}
          formatter={(value, name) => {
            if (Array.isArray(value)) return [`${fmt.number(Number(value[0]))} – ${fmt.number(Number(value[1]))}`, name];
            return [fmt.number(Number(value)), name];
          }}
          contentStyle={{ background: colors.tooltipBg, color: colors.tooltipText, borderRadius: 8 }}
        />
        <Area
          dataKey="band"
          name={t('band', { k })}
          stroke="none"
          fill={colors.band}
          fillOpacity={0.14}
          isAnimationActive={false}
          connectNulls={false}
          activeDot={false}
        />
        <Line
          dataKey="value"
          name={t('value')}
          stroke={colors.line}
          strokeWidth={2}
          dot={false}
          isAnimationActive={false}
          type="linear"
        />
        {alerts.length ? (
          // Only with points: a Scatter given an empty `data` falls back to the chart's data.
          <Scatter
            data={alerts}
            dataKey="value"
            name={t('alert')}
            fill={colors.alert}
            isAnimationActive={false}
            shape="circle"
          />
        ) : null}
      </ComposedChart>
    </ResponsiveContainer>
  );
}

export const LineMetric = memo(LineMetricChart);
