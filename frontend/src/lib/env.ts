/**
 * Where the API and the WebSocket live.
 *
 * By default both are the origin that served the page (the backend serves `dist/`), so the
 * build works with no settings. `VITE_API_URL` / `VITE_WS_URL` override that for a split
 * deployment; `VITE_WS_URL` may be a bare origin (`ws://host:8000`) or the full stream endpoint
 * (`ws://host:8000/ws/stream?metric=traffic`, the seed's form), whose query is dropped.
 */

export const STREAM_PATH = '/ws/stream';

type Params = Record<string, string | number | readonly string[] | undefined | null>;

function trimSlash(value: string): string {
  return value.replace(/\/+$/, '');
}

function queryString(params?: Params): string {
  if (!params) return '';
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) for (const item of value) search.append(key, String(item));
    else search.append(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export interface Endpoints {
  apiBase: string;
  wsBase: string;
  streamPath: string;
}

/** Resolve the endpoints from the Vite env and the page location (pure, for tests). */
export function resolveEndpoints(
  env: { VITE_API_URL?: string; VITE_WS_URL?: string },
  location: { protocol: string; host: string },
): Endpoints {
  const apiBase = env.VITE_API_URL ? trimSlash(env.VITE_API_URL.trim()) : '';
  let wsBase: string;
  let streamPath = STREAM_PATH;
  if (env.VITE_WS_URL) {
    const url = new URL(env.VITE_WS_URL.trim());
    wsBase = `${url.protocol}//${url.host}`;
    const path = trimSlash(url.pathname);
    if (path) streamPath = path.endsWith(STREAM_PATH) ? path : `${path}${STREAM_PATH}`;
  } else if (apiBase.startsWith('http')) {
    const url = new URL(apiBase);
    wsBase = `${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}`;
    const path = trimSlash(url.pathname);
    if (path) streamPath = `${path}${STREAM_PATH}`;
  } else {
    wsBase = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}`;
  }
  return { apiBase, wsBase, streamPath };
}

let cached: Endpoints | null = null;

function endpoints(): Endpoints {
  cached ??= resolveEndpoints(
    { VITE_API_URL: import.meta.env.VITE_API_URL, VITE_WS_URL: import.meta.env.VITE_WS_URL },
    window.location,
  );
  return cached;
}

/** A URL for an API path: relative (`/metrics?…`) unless VITE_API_URL is set. */
export function apiUrl(path: string, params?: Params): string {
  return `${endpoints().apiBase}${path}${queryString(params)}`;
}

/** The absolute `ws(s)://` URL of the live stream with the given query. */
export function streamUrl(params?: Params): string {
  const { wsBase, streamPath } = endpoints();
  return `${wsBase}${streamPath}${queryString(params)}`;
}
