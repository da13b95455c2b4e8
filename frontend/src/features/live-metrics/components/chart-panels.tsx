import { memo } from 'react';
import { useThrottledStore } from '@/hooks/use-throttled-store';
import type { Outage } from '@/lib/gaps';
import type { MetricMeta } from '@/lib/metric-format';
import type { SeriesBuffer } from '@/lib/series-buffer';
import { LineMetric } from './line-metric';

/**
 * Each chart subscribes to the buffer on its own, at its own pace, so a live point costs the
 * page one small render (the stat) and the charts redraw only when it shows: the line about
 * once per pixel of time (every point on 5 min, every few seconds on 24 h), the distribution
 * every five seconds (bar-panel.tsx). Each render then runs in its own task, never all in one.
 */

/** About one redraw per pixel of time on a ~1,000 px wide chart, between 250 ms and 10 s. */
export function lineInterval(rangeMs: number): number {
  return Math.min(10_000, Math.max(250, rangeMs / 1000));
}

export interface LinePanelProps {
  buffer: SeriesBuffer;
  rangeMs: number;
  /** Fixed end of the window (a snapshot); otherwise the newest point. */
  end?: number | null;
  emptyMessage: string | null;
  loading: boolean;
  /** The chart's accessible name. */
  label: string;
  onDrawn?: () => void;
  outages?: readonly Outage[];
  meta?: MetricMeta;
  /** The metric's alert threshold k, from the server; null until it is known. */
  k: number | null;
}

export const LineChartPanel = memo(function LineChartPanel({
  buffer,
  rangeMs,
  end = null,
  emptyMessage,
  loading,
  label,
  onDrawn,
  outages,
  meta,
  k,
}: LinePanelProps) {
  const { points } = useThrottledStore(buffer, lineInterval(rangeMs));
  const windowEnd = end ?? points[points.length - 1]?.ts ?? Date.now();
  return (
    <div className="chart-frame" data-testid="line-chart" data-points={points.length}>
      <LineMetric points={points} rangeMs={rangeMs} end={windowEnd} k={k} label={label} onDrawn={onDrawn} outages={outages} meta={meta} />
      {!points.length && emptyMessage ? <p className="chart-empty">{emptyMessage}</p> : null}
      {!points.length && loading ? <div className="chart-loading" aria-hidden="true" /> : null}
    </div>
  );
});
