import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useWebSocket, type WebSocketFactory } from '@/hooks/use-websocket';
import { DEFAULT_CAPACITY, SeriesBuffer, type SeriesPoint } from '@/lib/series-buffer';
import { rangeMs, type TimeRange } from '@/lib/time-range';
import { getSeries, MAX_POINTS } from '../api/metrics';
import { parseStreamMessage } from '../api/parse';
import { metricStreamUrl } from '../api/stream';
import type { AlertItem } from '../api/types';

export type HistoryState = 'loading' | 'ready' | 'error';

export interface LiveSeriesOptions {
  metric: string | null;
  range: TimeRange;
  /** False for a snapshot: no socket, the caller fills the buffer. */
  live: boolean;
  onAlert?: (alert: AlertItem) => void;
  createSocket?: WebSocketFactory;
  now?: () => number;
}

/**
 * One metric's series: history for the range, then the live stream appended to a bounded
 * buffer outside React. On every (re)connect the stream is asked to replay after the newest
 * point held (`since=`), so a reconnect leaves no hole and — the buffer being unique by ts —
 * no duplicate.
 */
export function useLiveSeries({ metric, range, live, onAlert, createSocket, now = Date.now }: LiveSeriesOptions) {
  const buffer = useMemo(
    () => new SeriesBuffer({ capacity: Math.min(DEFAULT_CAPACITY, MAX_POINTS), retainMs: rangeMs(range) }),
    // A new metric or range starts a new buffer.
    [metric, range],
  );
  const [history, setHistory] = useState<{ key: string; state: HistoryState }>({ key: '', state: 'loading' });
  const key = metric ? `${metric}|${range}` : null;
  const onAlertRef = useRef(onAlert);
  onAlertRef.current = onAlert;

  useEffect(() => {
    if (!live || !metric) return;
    const controller = new AbortController();
    setHistory({ key: `${metric}|${range}`, state: 'loading' });
    getSeries(metric, range, { signal: controller.signal })
      .then((series) => {
        buffer.merge(series.points);
        setHistory({ key: `${metric}|${range}`, state: 'ready' });
      })
      .catch(() => {
        if (controller.signal.aborted) return;
        setHistory({ key: `${metric}|${range}`, state: 'error' });
      });
    return () => controller.abort();
  }, [buffer, live, metric, range]);

  const historySettled = history.key === key && history.state !== 'loading';

  const getUrl = useCallback(() => {
    if (!metric) return null;
    const last = buffer.last;
    if (!last) return metricStreamUrl(metric);
    // After a long outage, replay no further back than the range on screen.
    const oldest = now() - rangeMs(range);
    return metricStreamUrl(metric, last.ts >= oldest ? { raw: last.tsRaw, ms: last.ts } : { ms: oldest });
  }, [buffer, metric, now, range]);

  const onMessage = useCallback(
    (data: unknown) => {
      const message = parseStreamMessage(data);
      if (!message || message.metric !== metric) return;
      buffer.push(message.point);
      if (message.alert) {
        onAlertRef.current?.({
          metric: message.metric,
          value: message.point.value,
          ts: message.point.ts,
          tsRaw: message.point.tsRaw ?? '',
          zscore: message.zscore,
        });
      }
    },
    [buffer, metric],
  );

  // The socket opens once the history is in (or has failed), so `since` starts where it ends.
  const connection = useWebSocket({
    key: live && key && historySettled ? key : null,
    getUrl,
    onMessage,
    createSocket,
  });

  return { buffer, connection, historyState: history.key === key ? history.state : ('loading' as HistoryState) };
}

/** The latest point that carries a baseline (mean/std), for the band and thresholds. */
export function latestBaseline(points: readonly SeriesPoint[]): SeriesPoint | undefined {
  for (let i = points.length - 1; i >= 0; i--) {
    const point = points[i]!;
    if (point.mean !== null && point.mean !== undefined && point.std !== null && point.std !== undefined) return point;
  }
  return undefined;
}
