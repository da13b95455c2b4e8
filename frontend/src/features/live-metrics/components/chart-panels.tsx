import { memo, useMemo } from 'react';
import { ZoomSurface } from '@/components/zoom-surface';
import { useThrottledStore } from '@/hooks/use-throttled-store';
import type { Outage } from '@/lib/gaps';
import type { MetricMeta } from '@/lib/metric-format';
import type { SeriesBuffer } from '@/lib/series-buffer';
import { useI18n } from '@/lib/i18n';
import { LineMetric, PLOT_INSETS } from './line-metric';

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
  /** Time gestures (drag to zoom, pan, double-click to reset); none on a snapshot. */
  zoom?: { onZoom: (a: number, b: number) => void; onPan: (fraction: number) => void; onReset: () => void } | null;
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
  zoom = null,
}: LinePanelProps) {
  const { t } = useI18n();
  const { points } = useThrottledStore(buffer, lineInterval(rangeMs));
  const windowEnd = end ?? points[points.length - 1]?.ts ?? Date.now();
  // The window as drawn: a live one ends at the newest point, so a drag maps to what is seen.
  const shown = useMemo(() => ({ from: windowEnd - rangeMs, to: windowEnd }), [windowEnd, rangeMs]);
  const content = (
    <>
      <LineMetric points={points} rangeMs={rangeMs} end={windowEnd} k={k} label={label} onDrawn={onDrawn} outages={outages} meta={meta} />
      {!points.length && emptyMessage ? <p className="chart-empty">{emptyMessage}</p> : null}
      {!points.length && loading ? <div className="chart-loading" aria-hidden="true" /> : null}
    </>
  );
  const data = { 'data-testid': 'line-chart', 'data-points': points.length, 'data-from': shown.from, 'data-to': shown.to };
  if (!zoom) {
    return (
      <div className="chart-frame" {...data}>
        {content}
      </div>
    );
  }
  return (
    <ZoomSurface
      className="chart-frame"
      {...data}
      role="group"
      aria-label={t('zoomHint')}
      window={shown}
      plotInsets={PLOT_INSETS}
      onZoom={zoom.onZoom}
      onPan={zoom.onPan}
      onReset={zoom.onReset}
    >
      {content}
    </ZoomSurface>
  );
});
