import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useWebSocket, type ConnectionState, type WebSocketFactory } from '@/hooks/use-websocket';
import type { Outage } from '@/lib/gaps';
import { DEFAULT_CAPACITY, SeriesBuffer, type SeriesPoint } from '@/lib/series-buffer';
import { toRfc3339 } from '@/lib/time';
import { rangeMs, type TimeRange } from '@/lib/time-range';
import type { FixedWindow } from '@/lib/time-window';
import { getSeries, MAX_POINTS } from '../api/metrics';
import { parseStreamMessage } from '../api/parse';
import { metricStreamUrl, StreamCursor, takeHistory } from '../api/stream';
import type { AlertItem } from '../api/types';

export type HistoryState = 'loading' | 'ready' | 'error';

const NO_OUTAGES: readonly Outage[] = [];

export interface LiveSeriesOptions {
  metric: string | null;
  range: TimeRange;
  /** False for a snapshot: no socket, the caller fills the buffer. */
  live: boolean;
  /** False while the metric is not known to exist: history is asked, but no socket waits for it. */
  connect?: boolean;
  /** A fixed window (zoomed, panned or picked): exactly its history, and no socket (no following). */
  window?: FixedWindow | null;
  onAlert?: (alert: AlertItem) => void;
  createSocket?: WebSocketFactory;
  now?: () => number;
}

/**
 * One metric's series: history for the range, then the live stream merged into a bounded buffer
 * outside React. A reconnect resumes after the last `seq` received (`since=<metric>:<seq>`), so
 * it leaves no hole, late points included; a replayed `seq` is dropped, and a late point (an old
 * timestamp with a new `seq`) takes its place by timestamp. The first socket resumes after the
 * `seq` the history answer carries (a point stored while it loaded is replayed, a point the answer
 * holds again replaces itself by timestamp); from an answer without one, after its newest point
 * (`since=<ts>`). A fixed window holds its own history only: live points would not be in it.
 */
export function useLiveSeries({ metric, range, live, connect = true, window = null, onAlert, createSocket, now = Date.now }: LiveSeriesOptions) {
  const buffer = useMemo(
    () => new SeriesBuffer({ capacity: Math.min(DEFAULT_CAPACITY, MAX_POINTS), retainMs: window ? null : rangeMs(range) }),
    // A new metric, range or window starts a new buffer.
    [metric, range, window],
  );
  // Where the stream stands: a new buffer starts from nothing.
  const cursor = useMemo(() => new StreamCursor(), [buffer]);
  const [history, setHistory] = useState<{ key: string; state: HistoryState }>({ key: '', state: 'loading' });
  const key = metric ? `${metric}|${range}|${window ? `${window.from}-${window.to}` : 'live'}` : null;
  const onAlertRef = useRef(onAlert);
  onAlertRef.current = onAlert;

  useEffect(() => {
    if (!live || !metric) return;
    const controller = new AbortController();
    const asked = key!;
    const span = window ? { until: window.to, rangeMs: window.to - window.from } : {};
    setHistory({ key: asked, state: 'loading' });
    getSeries(metric, range, { ...span, signal: controller.signal })
      .then((series) => {
        takeHistory(buffer, cursor, metric, series);
        setHistory({ key: asked, state: 'ready' });
      })
      .catch(() => {
        if (controller.signal.aborted) return;
        setHistory({ key: asked, state: 'error' });
      });
    return () => controller.abort();
    // Read again when a metric starts to exist, so its first points are not left behind.
  }, [buffer, cursor, live, metric, range, connect]);

  const historySettled = history.key === key && history.state !== 'loading';

  const getUrl = useCallback(() => {
    if (!metric) return null;
    const last = buffer.last;
    // After a long outage, replay no further back than the range on screen.
    const oldest = now() - rangeMs(range);
    if (last && last.ts < oldest) return metricStreamUrl(metric, [toRfc3339(oldest)]);
    return metricStreamUrl(metric, cursor.since([metric], last ? (last.tsRaw ?? last.ts) : null));
  }, [buffer, cursor, metric, now, range]);

  // When the newest live point arrived, by this browser's clock: its age is measured from then,
  // so a server clock a few seconds off never makes a fresh value look stale.
  const arrival = useRef<{ ts: number; at: number } | null>(null);
  const arrivedAt = useCallback((ts: number) => (arrival.current?.ts === ts ? arrival.current.at : ts), []);

  const onMessage = useCallback(
    (data: unknown) => {
      const message = parseStreamMessage(data);
      if (!message || message.metric !== metric || !cursor.advance(metric, message.seq)) return;
      buffer.push(message.point);
      if (buffer.last?.ts === message.point.ts) arrival.current = { ts: message.point.ts, at: now() };
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
    [buffer, cursor, metric, now],
  );

  // The socket opens once the history is in (or has failed), so `since` starts where it ends.
  const connection = useWebSocket({
    key: live && connect && !window && key && historySettled ? key : null,
    getUrl,
    onMessage,
    createSocket,
  });
  const outages = useOutages(connection.state, key, now);

  return { buffer, connection, outages, arrivedAt, historyState: history.key === key ? history.state : ('loading' as HistoryState) };
}

/**
 * The spans during which the stream was down after having been live, for this metric and range:
 * an interval of the series that spans one of them, with nothing received meanwhile, is a gap.
 */
function useOutages(state: ConnectionState, key: string | null, now: () => number): readonly Outage[] {
  const [outages, setOutages] = useState<{ key: string | null; spans: Outage[] }>({ key, spans: [] });
  const downSince = useRef<{ key: string | null; at: number | null; wasLive: boolean }>({ key, at: null, wasLive: false });
  useEffect(() => {
    const mark = downSince.current;
    if (mark.key !== key) downSince.current = { key, at: null, wasLive: false };
    const current = downSince.current;
    if (state === 'live') {
      if (current.at !== null) {
        const span: Outage = [current.at, now()];
        setOutages((previous) => ({ key, spans: [...(previous.key === key ? previous.spans : []).slice(-50), span] }));
      }
      current.at = null;
      current.wasLive = true;
    } else if (current.wasLive && current.at === null) {
      current.at = now();
    }
  }, [state, key, now]);
  return outages.key === key ? outages.spans : NO_OUTAGES;
}

/** The latest point that carries a baseline (mean/std), for the band and thresholds. */
export function latestBaseline(points: readonly SeriesPoint[]): SeriesPoint | undefined {
  for (let i = points.length - 1; i >= 0; i--) {
    const point = points[i]!;
    if (point.mean !== null && point.mean !== undefined && point.std !== null && point.std !== undefined) return point;
  }
  return undefined;
}
