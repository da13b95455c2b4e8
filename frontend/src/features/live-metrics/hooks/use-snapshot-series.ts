import { useEffect, useState } from 'react';
import type { SeriesBuffer } from '@/lib/series-buffer';
import { rangeMs, type TimeRange } from '@/lib/time-range';
import { getSeries } from '../api/metrics';
import type { AlertItem, FrozenData, TimeWindow } from '../api/types';

export interface SnapshotSource {
  createdAt: number | null;
  data: FrozenData | null;
  /** The absolute window the snapshot was taken of, when it saved one. */
  window: TimeWindow | null;
}

/**
 * Fills the buffer for a snapshot: the frozen data when the server kept it, else the history
 * of its window (or of the range that ended when it was taken).
 */
export function useSnapshotSeries(
  buffer: SeriesBuffer,
  source: SnapshotSource | null,
  metric: string | null,
  range: TimeRange,
): { alerts: AlertItem[]; state: 'loading' | 'ready' | 'error' } {
  const [result, setResult] = useState<{ alerts: AlertItem[]; state: 'loading' | 'ready' | 'error' }>({
    alerts: [],
    state: 'loading',
  });

  useEffect(() => {
    if (!source || !metric) return;
    const frozen = source.data?.series[metric];
    if (source.data && frozen) {
      buffer.clear();
      buffer.merge(frozen);
      setResult({ alerts: source.data.alerts.filter((alert) => !alert.metric || alert.metric === metric), state: 'ready' });
      return;
    }
    const controller = new AbortController();
    setResult({ alerts: [], state: 'loading' });
    const until = source.window?.to ?? source.createdAt ?? Date.now();
    const span = source.window ? source.window.to - source.window.from : rangeMs(range);
    getSeries(metric, range, { until, rangeMs: span, signal: controller.signal })
      .then((series) => {
        buffer.clear();
        buffer.merge(series.points);
        setResult({ alerts: series.alerts, state: 'ready' });
      })
      .catch(() => {
        if (!controller.signal.aborted) setResult({ alerts: [], state: 'error' });
      });
    return () => controller.abort();
  }, [buffer, source, metric, range]);

  return result;
}
