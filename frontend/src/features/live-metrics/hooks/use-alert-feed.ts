import { useCallback, useEffect, useState } from 'react';
import type { TimeRange } from '@/lib/time-range';
import type { FixedWindow } from '@/lib/time-window';
import { getAlerts } from '../api/metrics';
import type { AlertItem } from '../api/types';

const FEED_LIMIT = 100;

function mergeNewestFirst(current: AlertItem[], incoming: AlertItem[]): AlertItem[] {
  const seen = new Set(current.map((alert) => `${alert.metric}|${alert.ts}`));
  const fresh = incoming.filter((alert) => !seen.has(`${alert.metric}|${alert.ts}`));
  if (!fresh.length) return current;
  return [...fresh, ...current].sort((a, b) => b.ts - a.ts).slice(0, FEED_LIMIT);
}

/** Alert history for the metric and range (or the fixed window), with live alerts added on top. */
export function useAlertFeed(
  metric: string | null,
  range: TimeRange,
  options: { live: boolean; window?: FixedWindow | null; initial?: AlertItem[] },
) {
  const [alerts, setAlerts] = useState<AlertItem[]>(options.initial ?? []);
  const [error, setError] = useState(false);
  const { live, window = null } = options;

  useEffect(() => {
    if (!live) return;
    setAlerts([]);
    setError(false);
    if (!metric) return;
    const controller = new AbortController();
    getAlerts(metric, range, { window, signal: controller.signal })
      .then((history) => setAlerts((current) => mergeNewestFirst(current, history)))
      .catch(() => {
        if (!controller.signal.aborted) setError(true);
      });
    return () => controller.abort();
  }, [live, metric, range, window]);

  const add = useCallback((alert: AlertItem) => setAlerts((current) => mergeNewestFirst(current, [alert])), []);
  return { alerts, error, add };
}
