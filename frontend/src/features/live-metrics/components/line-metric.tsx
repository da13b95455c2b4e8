import { memo, useCallback, useMemo } from 'react';
import { CartesianGrid, ComposedChart, XAxis, YAxis, type NumberDomain } from 'recharts';
import { useMediaQuery } from '@/hooks/use-media-query';
import { useStableArray } from '@/hooks/use-stable-array';
import { useI18n } from '@/lib/i18n';
import { downsampleMinMax } from '@/lib/downsample';
import { breaksIn, gapSpans, type Outage } from '@/lib/gaps';
import { formatNumber, NO_META, type MetricMeta } from '@/lib/metric-format';
import { niceScale, timeTicks } from '@/lib/ticks';
import type { SeriesPoint } from '@/lib/series-buffer';
import { useChartTheme } from './chart-colors';
import { AlertMarks, BandLayer, DrawnSignal, LinePath } from './chart-overlays';
import { ChartReadout } from './chart-readout';
import type { TooltipRow } from './chart-tooltip';

interface Row extends TooltipRow {
  /** Null on the row inserted at a gap: the line and the band break there. */
  value: number | null;
  band: [number, number] | null;
}

export interface LineMetricProps {
  points: readonly SeriesPoint[];
  /** The visible window is [end − rangeMs, end]. */
  rangeMs: number;
  end: number;
  /** The metric's alert threshold k (its effective rule, from the server); null: no band yet. */
  k: number | null;
  height?: number;
  /** Drawn points at most (min/max per time bucket beyond that): more than the pixels is waste. */
  maxDrawn?: number;
  /** The chart's accessible name. */
  label: string;
  /** Called once the chart's SVG is on the screen. */
  onDrawn?: () => void;
  /** Spans the live stream was down: a series interval across one of them is a gap. */
  outages?: readonly Outage[];
  meta?: MetricMeta;
}

// Recharts 3 re-syncs its internal store whenever a prop object changes identity, so every
// object and function handed to it below is constant or memoised: only the data changes.
const MARGIN = { top: 8, right: 16, bottom: 4, left: 4 };
const Y_AXIS_WIDTH = 64;
/** Where the plot area sits inside the chart (its margins and the y axis), for the zoom surface. */
export const PLOT_INSETS = { left: MARGIN.left + Y_AXIS_WIDTH, right: MARGIN.right };
const AUTO_DOMAIN = ['auto', 'auto'] as const;
const NONE: readonly number[] = [];
const IGNORE = () => {};
const NO_OUTAGES: readonly Outage[] = [];

/** The drawn rows (min/max-reduced, a null row at each gap) with the μ ± kσ band of each point's
 * stored baseline, the alert points, and a y scale that holds the band. */
export function chartRows(points: readonly SeriesPoint[], k: number | null, maxDrawn: number, outages: readonly Outage[]) {
  const rows: Row[] = [];
  const alerts: { ts: number; value: number }[] = [];
  let min = Infinity;
  let max = -Infinity;
  const drawn = downsampleMinMax(points, maxDrawn);
  // Gaps are judged on the series as held, then placed between the drawn points (SPEC §8).
  const spans = gapSpans(points.map((point) => point.ts), outages);
  const breaks = new Set(breaksIn(drawn.map((point) => point.ts), spans));
  drawn.forEach((point, index) => {
    if (breaks.has(index)) {
      const before = drawn[index - 1]!.ts;
      rows.push({ ts: before + (point.ts - before) / 2, value: null, band: null });
    }
    const { mean, std } = point;
    const band: [number, number] | null =
      k !== null && typeof mean === 'number' && typeof std === 'number' ? [mean - k * std, mean + k * std] : null;
    rows.push({
      ts: point.ts,
      value: point.value,
      band,
      zscore: point.zscore ?? null,
      mean: point.mean,
      std: point.std,
      alert: point.alert === true,
      state: point.state,
    });
    if (point.alert) alerts.push({ ts: point.ts, value: point.value });
    min = Math.min(min, point.value, band ? band[0] : Infinity);
    max = Math.max(max, point.value, band ? band[1] : -Infinity);
  });
  // The band is drawn outside Recharts' series, so the y domain must include it explicitly.
  const yScale = Number.isFinite(min) ? niceScale(min, max) : null;
  return { rows, alerts, yScale };
}

/** The live line, alert points as red dots, and the μ ± kσ band each point was scored against. */
function LineMetricChart({
  points,
  rangeMs,
  end,
  k,
  height,
  maxDrawn = 600,
  label,
  onDrawn = IGNORE,
  outages = NO_OUTAGES,
  meta = NO_META,
}: LineMetricProps) {
  const { fmt } = useI18n();
  const { colors, axis, readout } = useChartTheme();
  const { rows, alerts, yScale } = useMemo(() => chartRows(points, k, maxDrawn, outages), [points, k, maxDrawn, outages]);

  // A window that ends at the newest point is given as a function of the data's extent: the
  // prop then keeps its identity while the window slides, and the axis is not re-registered.
  const followsData = rows.length > 0 && rows[rows.length - 1]!.ts === end;
  const followDomain = useCallback(([, newest]: NumberDomain): NumberDomain => [newest - rangeMs, newest], [rangeMs]);
  const fixedDomain = useMemo(() => [end - rangeMs, end], [end, rangeMs]);
  const narrow = useMediaQuery('(max-width: 600px)');
  const xTicks = useStableArray(timeTicks(end - rangeMs, end, narrow ? 3 : 6));
  const yDomain = useStableArray(yScale?.domain ?? NONE);
  const yTicks = useStableArray(yScale?.ticks ?? NONE);
  const xTick = useCallback((ms: number) => fmt.tick(ms, rangeMs), [fmt, rangeMs]);
  const yTick = useCallback((value: number) => formatNumber(fmt, value, meta), [fmt, meta]);
  const yLabel = useMemo(
    () => (meta.unit ? { value: meta.unit, angle: -90, position: 'insideLeft' as const, fill: colors.axis, fontSize: 12 } : undefined),
    [meta.unit, colors],
  );
  const size = useMemo(() => ({ width: '100%', height: height ?? (narrow ? 240 : 320) }), [height, narrow]);

  return (
    // Focusable (Recharts' keyboard layer: arrow keys move the readout), so it is named.
    <ComposedChart
      responsive
      style={size}
      data={rows}
      margin={MARGIN}
      role="application"
      aria-label={label}
      title={label}
    >
      <CartesianGrid stroke={colors.grid} strokeDasharray="3 3" />
      <XAxis
        dataKey="ts"
        type="number"
        scale="linear"
        domain={followsData ? followDomain : fixedDomain}
        allowDataOverflow
        ticks={xTicks}
        tickFormatter={xTick}
        {...axis}
      />
      {/* With no Recharts series to take a domain from, the axis is given its domain outright. */}
      <YAxis
        allowDataOverflow
        domain={yDomain.length ? yDomain : AUTO_DOMAIN}
        ticks={yTicks.length ? yTicks : undefined}
        tickFormatter={yTick}
        width={Y_AXIS_WIDTH}
        {...axis}
        label={yLabel}
      />
      <BandLayer rows={rows} fill={colors.band} opacity={0.16} />
      <LinePath rows={rows} stroke={colors.line} />
      <AlertMarks points={alerts} fill={colors.alert} stroke={colors.alertRing} />
      <ChartReadout rows={rows} meta={meta} colors={readout} />
      <DrawnSignal onDrawn={onDrawn} />
    </ComposedChart>
  );
}

export const LineMetric = memo(LineMetricChart);
