import { memo, useCallback, useMemo, useRef } from 'react';
import {
  CartesianGrid,
  ComposedChart,
  Line,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
  type NumberDomain,
  type TooltipContentProps,
} from 'recharts';
import type { NameType, ValueType } from 'recharts/types/component/DefaultTooltipContent';
import { ZoomSurface } from '@/components/zoom-surface';
import { useStableArray } from '@/hooks/use-stable-array';
import { useI18n } from '@/lib/i18n';
import { timeTicks } from '@/lib/ticks';
import type { SeriesPoint } from '@/lib/series-buffer';
import { chartRows, nearest } from '../lib/window';

/** Series colours, distinguishable in light and dark schemes. */
export const SERIES_COLORS = ['#0284c7', '#ea580c', '#16a34a', '#9333ea', '#dc2626', '#ca8a04', '#0891b2', '#db2777'];
const MARGIN = { top: 8, right: 8, bottom: 4, left: 4 };
const Y_AXIS_WIDTH = 64;
/** The wrapper's padding (compare.css). */
const PADDING = 8;
/** Time buckets of the drawn rows (each two rows: min and max), shared by every series of a chart. */
const BUCKETS = 150;
// Recharts 3 re-registers an axis whenever a prop changes identity: constants and memoised props only.
const AUTO_DOMAIN = ['auto', 'auto'] as const;

export interface ChartSeries {
  metric: string;
  points: readonly SeriesPoint[];
  color: string;
  side: 'left' | 'right';
  unit: string | null;
}

export interface MultiChartProps {
  series: readonly ChartSeries[];
  /** Which of `series` this chart draws (stacked: one each; overlay: all). */
  drawn: readonly number[];
  from: number;
  to: number;
  height: number;
  /** The window ends at the newest point (live): the x domain follows the data, same identity. */
  follow: boolean;
  onZoom: (a: number, b: number) => void;
  onPan: (fraction: number) => void;
  onReset: () => void;
}

/** Lines of several metrics over one time axis, under the zoom surface's gestures. */
function MultiChartView({ series, drawn, from, to, height, follow, onZoom, onPan, onReset }: MultiChartProps) {
  const { fmt, t } = useI18n();
  // Every chart of a stack gets the rows of every series: Recharts then syncs the cursor by index.
  const rows = useMemo(() => chartRows(series.map((s) => s.points), from, to, BUCKETS), [series, from, to]);
  const span = to - from;
  const fixedDomain = useMemo(() => [from, to], [from, to]);
  const followDomain = useCallback(([, newest]: NumberDomain): NumberDomain => [newest - span, newest], [span]);
  const ticks = useStableArray(timeTicks(from, to, 6));
  const seriesRef = useRef(series);
  seriesRef.current = series;
  const sides = new Set(drawn.map((i) => series[i]!.side));
  const xTick = useCallback((ms: number) => fmt.tick(ms, span), [fmt, span]);
  const yTick = useCallback((value: number) => fmt.number(value), [fmt]);

  // Read through a ref, so the content prop keeps its identity while the data moves.
  const tooltip = useCallback(
    ({ active, label: at }: TooltipContentProps<ValueType, NameType>) => {
      if (!active || at === undefined) return null;
      const ts = Number(at);
      return (
        <div className="surface compare-tooltip" data-testid="compare-tooltip">
          <div className="compare-tooltip-time">{fmt.dateTime(ts)}</div>
          {seriesRef.current.map((s) => {
            const point = nearest(s.points, ts);
            return (
              <div key={s.metric} className="compare-tooltip-row" data-metric={s.metric}>
                <span className="legend-swatch" style={{ background: s.color }} />
                {s.metric}: <strong>{fmt.number(point?.value)}</strong>
                {s.unit ? ` ${s.unit}` : ''}
              </div>
            );
          })}
        </div>
      );
    },
    [fmt],
  );

  const shown = useMemo(() => ({ from, to }), [from, to]);
  // The plot area inside the surface: the chart's margins and the y axes drawn.
  const left = sides.has('left');
  const right = sides.has('right');
  const plotInsets = useMemo(
    () => ({ left: MARGIN.left + (left ? Y_AXIS_WIDTH : 0) + PADDING, right: MARGIN.right + (right ? Y_AXIS_WIDTH : 0) + PADDING }),
    [left, right],
  );

  return (
    <ZoomSurface
      className="compare-chart"
      data-testid="compare-chart"
      data-rows={rows.length}
      data-from={from}
      data-to={to}
      role="img"
      aria-label={`${drawn.map((i) => series[i]!.metric).join(', ')} · ${t('zoomHint')}`}
      window={shown}
      plotInsets={plotInsets}
      onZoom={onZoom}
      onPan={onPan}
      onReset={onReset}
    >
      <ResponsiveContainer width="100%" height={height}>
        <ComposedChart data={rows} margin={MARGIN} syncId="compare">
          <CartesianGrid strokeDasharray="3 3" stroke="var(--grid, #e2e8f0)" />
          <XAxis dataKey="ts" type="number" scale="linear" domain={follow && rows.length ? followDomain : fixedDomain} allowDataOverflow ticks={ticks} interval={0} tickFormatter={xTick} />
          <YAxis yAxisId="left" domain={AUTO_DOMAIN} tickFormatter={yTick} width={Y_AXIS_WIDTH} hide={!sides.has('left')} />
          <YAxis yAxisId="right" orientation="right" domain={AUTO_DOMAIN} tickFormatter={yTick} width={Y_AXIS_WIDTH} hide={!sides.has('right')} />
          <Tooltip isAnimationActive={false} content={tooltip} />
          {drawn.map((i) => (
            <Line
              key={series[i]!.metric}
              yAxisId={series[i]!.side}
              dataKey={`s${i}`}
              name={series[i]!.metric}
              stroke={series[i]!.color}
              strokeWidth={2}
              dot={false}
              connectNulls
              isAnimationActive={false}
              type="linear"
            />
          ))}
        </ComposedChart>
      </ResponsiveContainer>
    </ZoomSurface>
  );
}

export const MultiChart = memo(MultiChartView);
