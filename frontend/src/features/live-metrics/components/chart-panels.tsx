import { memo } from 'react';
import { useThrottledStore } from '@/hooks/use-throttled-store';
import type { Outage } from '@/lib/gaps';
import { useI18n } from '@/lib/i18n';
import type { MetricMeta } from '@/lib/metric-format';
import type { SeriesBuffer } from '@/lib/series-buffer';
import { latestBaseline } from '../hooks/use-live-series';
import { BarMetric } from './bar-metric';
import { ALERT_SIGMA } from './chart-colors';
import { LineMetric } from './line-metric';

/**
 * Each chart subscribes to the buffer on its own, at its own pace, so a live point costs the
 * page one small render (the stat) and the charts redraw only when it shows: the line about
 * once per pixel of time (every point on 5 min, every few seconds on 24 h), the distribution
 * every five seconds (a redraw costs ~15 ms of main thread in Recharts, and a few more values
 * barely move a distribution). Each render then runs in its own task, never all in one.
 */

const BAR_INTERVAL_MS = 5000;

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
  outages?: readonly Outage[];
  meta?: MetricMeta;
}

export const LineChartPanel = memo(function LineChartPanel({
  buffer,
  rangeMs,
  end = null,
  emptyMessage,
  loading,
  outages,
  meta,
}: LinePanelProps) {
  const { points } = useThrottledStore(buffer, lineInterval(rangeMs));
  const windowEnd = end ?? points[points.length - 1]?.ts ?? Date.now();
  return (
    <div className="chart-frame" data-testid="line-chart" data-points={points.length}>
      <LineMetric points={points} rangeMs={rangeMs} end={windowEnd} outages={outages} meta={meta} />
      {!points.length && emptyMessage ? <p className="chart-empty">{emptyMessage}</p> : null}
      {!points.length && loading ? <div className="chart-loading" aria-hidden="true" /> : null}
    </div>
  );
});

export const BarChartPanel = memo(function BarChartPanel({ buffer, showEmpty }: { buffer: SeriesBuffer; showEmpty: boolean }) {
  const { t } = useI18n();
  const { points } = useThrottledStore(buffer, BAR_INTERVAL_MS);
  const baseline = latestBaseline(points);
  return (
    <div className="chart-frame">
      <BarMetric points={points} mean={baseline?.mean ?? null} std={baseline?.std ?? null} k={ALERT_SIGMA} />
      {!points.length && showEmpty ? <p className="chart-empty">{t('noData')}</p> : null}
    </div>
  );
});
