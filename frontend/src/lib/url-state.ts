import { useCallback, useSyncExternalStore } from 'react';
import { DEFAULT_RANGE, isTimeRange, type TimeRange } from './time-range';
import { writeWindow } from './time-window';

/** The dashboard's shareable state in the query string: `?metric=traffic&range=1h`. */
export interface DashboardQuery {
  metric: string | null;
  range: TimeRange;
}

export const METRIC_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/;

export function isMetricName(value: unknown): value is string {
  return typeof value === 'string' && METRIC_NAME.test(value);
}

export function readQuery(search: string): DashboardQuery {
  const params = new URLSearchParams(search);
  const metric = params.get('metric');
  const range = params.get('range');
  return {
    metric: isMetricName(metric) ? metric : null,
    range: isTimeRange(range) ? range : DEFAULT_RANGE,
  };
}

/** The query string with the patch applied; other parameters are kept, but a preset leaves a fixed window. */
export function writeQuery(search: string, patch: Partial<DashboardQuery>): string {
  const params = new URLSearchParams(search);
  if (patch.metric !== undefined) {
    if (patch.metric === null) params.delete('metric');
    else params.set('metric', patch.metric);
  }
  if (patch.range !== undefined) writeWindow(params, null).set('range', patch.range);
  const text = params.toString();
  return text ? `?${text}` : '';
}

// pushState fires no event, so navigation through `navigate` announces itself.
const NAVIGATE_EVENT = 'chronoview:navigate';

function subscribe(listener: () => void): () => void {
  window.addEventListener('popstate', listener);
  window.addEventListener(NAVIGATE_EVENT, listener);
  return () => {
    window.removeEventListener('popstate', listener);
    window.removeEventListener(NAVIGATE_EVENT, listener);
  };
}

const getHref = () => window.location.pathname + window.location.search;

/** Go to a same-origin URL without a reload. */
export function navigate(url: string, options: { replace?: boolean } = {}): void {
  if (url === getHref()) return;
  if (options.replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
}

/** The current path and query, re-rendering on back/forward and `navigate`. */
export function useLocation(): { pathname: string; search: string } {
  const href = useSyncExternalStore(subscribe, getHref, getHref);
  const url = new URL(href, 'http://local');
  return { pathname: url.pathname, search: url.search };
}

/** Metric and range read from, and written to, the URL of the page. */
export function useDashboardQuery(): [DashboardQuery, (patch: Partial<DashboardQuery>, options?: { replace?: boolean }) => void] {
  const { search } = useLocation();
  const query = readQuery(search);
  const setQuery = useCallback(
    (patch: Partial<DashboardQuery>, options: { replace?: boolean } = {}) => {
      navigate(window.location.pathname + writeQuery(window.location.search, patch), options);
    },
    [],
  );
  return [query, setQuery];
}
