import { useEffect, useMemo, useState } from 'react';
import { useWebSocket, type WebSocketFactory } from '@/hooks/use-websocket';
import { fetchJson, isRecord } from '@/lib/api-client';
import { apiUrl } from '@/lib/env';
import { SeriesBuffer } from '@/lib/series-buffer';
import { rangeMs, type TimeRange } from '@/lib/time-range';
import { getSeries, MAX_POINTS } from '@/features/live-metrics/api/metrics';
import { parseStreamMessage } from '@/features/live-metrics/api/parse';
import { metricStreamUrl, StreamCursor, takeHistory } from '@/features/live-metrics/api/stream';

/** Charts and legend redraw at most this often while points stream in. */
const RENDER_INTERVAL_MS = 1000;

export interface MultiSeriesOptions {
  metrics: readonly string[];
  range: TimeRange;
  /** A fixed window (zoomed into the past, or a snapshot): history only, no socket. */
  fixed: { from: number; to: number } | null;
  live: boolean;
  createSocket?: WebSocketFactory;
}

/**
 * Several metrics at once: each one's history for the window in its own bounded buffer, then —
 * while following live — one socket for all of them (`metric=` repeated), opened and resumed with
 * one `since=<metric>:<seq>` per metric: the `seq` of its live history answer, then of its last
 * point received (a timestamp for those with neither, e.g. a history that failed to load).
 */
export function useMultiSeries({ metrics, range, fixed, live, createSocket }: MultiSeriesOptions) {
  const key = `${metrics.join(',')}|${range}|${fixed ? `${fixed.from}-${fixed.to}` : 'live'}`;
  const buffers = useMemo(
    () => metrics.map(() => new SeriesBuffer({ capacity: MAX_POINTS, retainMs: fixed ? null : rangeMs(range) })),
    // The key names the metrics, the range and the window: new buffers exactly when it changes.
    [key],
  );
  const cursor = useMemo(() => new StreamCursor(), [buffers]);
  const [loaded, setLoaded] = useState<{ key: string; failed: boolean } | null>(null);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    const window = fixed ? { until: fixed.to, rangeMs: fixed.to - fixed.from } : {};
    Promise.allSettled(
      metrics.map((metric, i) =>
        getSeries(metric, range, { ...window, signal: controller.signal }).then((series) =>
          takeHistory(buffers[i]!, cursor, metric, series),
        ),
      ),
    ).then((results) => {
      if (!controller.signal.aborted) setLoaded({ key, failed: results.some((r) => r.status === 'rejected') });
    });
    return () => controller.abort();
  }, [buffers]);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const changed = () => {
      timer ??= setTimeout(() => {
        timer = null;
        setVersion((v) => v + 1);
      }, RENDER_INTERVAL_MS);
    };
    const unsubscribes = buffers.map((buffer) => buffer.subscribe(changed));
    return () => {
      if (timer !== null) clearTimeout(timer);
      for (const unsubscribe of unsubscribes) unsubscribe();
    };
  }, [buffers]);

  const settled = loaded?.key === key;
  const connection = useWebSocket({
    key: live && !fixed && settled && metrics.length ? key : null,
    getUrl: () => {
      // Each metric resumes after its last seq; one with none yet after the oldest of the newest
      // points held (the buffers merge what they already have).
      const newest = buffers.map((buffer) => buffer.last?.ts ?? null);
      const floor = Date.now() - rangeMs(range);
      const since = newest.some((ts) => ts === null) ? floor : Math.max(floor, Math.min(...(newest as number[])));
      return metricStreamUrl(metrics, cursor.since(metrics, since));
    },
    onMessage: (data) => {
      const message = parseStreamMessage(data);
      const i = message ? metrics.indexOf(message.metric) : -1;
      if (message && i >= 0 && cursor.advance(message.metric, message.seq)) buffers[i]!.push(message.point);
    },
    createSocket,
  });

  // Re-read when the (throttled) version moves or the history lands.
  const series = useMemo(() => buffers.map((buffer) => buffer.toArray()), [buffers, version, settled]);
  return { series, connection, state: settled ? (loaded.failed ? 'error' : 'ready') : 'loading' } as const;
}

/** Each metric's unit from the catalog (`unit`, or `meta.unit`), when the server knows one. */
export function useUnits(metrics: readonly string[]): Record<string, string | null> {
  const [units, setUnits] = useState<Record<string, string | null>>({});
  const key = metrics.join(',');
  useEffect(() => {
    const controller = new AbortController();
    fetchJson(apiUrl('/metrics'), { signal: controller.signal })
      .then((rows) => {
        const next: Record<string, string | null> = {};
        for (const row of Array.isArray(rows) ? rows : []) {
          if (!isRecord(row) || typeof row.metric !== 'string') continue;
          const meta = isRecord(row.meta) ? row.meta : row;
          next[row.metric] = typeof meta.unit === 'string' && meta.unit ? meta.unit : null;
        }
        setUnits(next);
      })
      .catch(() => {});
    return () => controller.abort();
  }, [key]);
  return units;
}
