import { useEffect, useState } from 'react';
import type { SeriesBuffer } from '@/lib/series-buffer';
import { rangeMs, type TimeRange } from '@/lib/time-range';
import { getSeries } from '../api/metrics';
import type { AlertItem, FrozenData } from '../api/types';

export interface SnapshotSource {
  createdAt: number | null;
  data: FrozenData | null;
}

/**
 * Fills the buffer for a snapshot: the frozen data when the server kept it, else the history
 * of the range that ended when the snapshot was taken.
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
    getSeries(metric, range, { until: source.createdAt ?? Date.now(), rangeMs: rangeMs(range), signal: controller.signal })
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
