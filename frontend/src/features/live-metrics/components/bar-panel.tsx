import { memo } from 'react';
import { useThrottledStore } from '@/hooks/use-throttled-store';
import { useI18n } from '@/lib/i18n';
import type { SeriesBuffer } from '@/lib/series-buffer';
import { latestBaseline } from '../hooks/use-live-series';
import { BarMetric } from './bar-metric';

/**
 * The distribution panel's chart, loaded as a chunk of its own once the line chart has drawn (it
 * is not needed for the first screen). It redraws every five seconds: a redraw costs ~15 ms of
 * main thread in Recharts, and a few more values barely move a distribution.
 */
const BAR_INTERVAL_MS = 5000;

const BarChartPanel = memo(function BarChartPanel({
  buffer,
  showEmpty,
  label,
  k,
}: {
  buffer: SeriesBuffer;
  showEmpty: boolean;
  label: string;
  k: number | null;
}) {
  const { t } = useI18n();
  const { points } = useThrottledStore(buffer, BAR_INTERVAL_MS);
  const baseline = latestBaseline(points);
  return (
    <>
      <BarMetric points={points} mean={baseline?.mean ?? null} std={baseline?.std ?? null} k={k} label={label} />
      {!points.length && showEmpty ? <p className="chart-empty">{t('noData')}</p> : null}
    </>
  );
});

export default BarChartPanel;
