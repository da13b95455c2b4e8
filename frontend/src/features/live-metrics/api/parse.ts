/**
 * Every response and message shape the dashboard reads, parsed in one place so a change in
 * the backend's JSON is a change here only. Parsers are tolerant: extra fields are ignored,
 * a wrapped list (`{"points": [...]}`) or a bare one are both read, unreadable rows are skipped.
 */
import { finiteOrNull, isRecord } from '@/lib/api-client';
import type { SeriesPoint } from '@/lib/series-buffer';
import { parseTimestamp, toRfc3339 } from '@/lib/time';
import type { AlertItem, CatalogEntry, CreatedSnapshot, FrozenData, SeriesHistory, Snapshot, StreamMessage } from './types';

function listIn(body: unknown, ...keys: string[]): unknown[] {
  if (Array.isArray(body)) return body;
  if (isRecord(body)) {
    for (const key of keys) {
      const value = body[key];
      if (Array.isArray(value)) return value;
    }
  }
  return [];
}

function rawTs(value: unknown, ms: number): string {
  return typeof value === 'string' ? value : toRfc3339(ms);
}

/** `{ts, value, ...}` or `[ts, value]`. */
export function parsePoint(row: unknown): SeriesPoint | null {
  let tsValue: unknown;
  let value: unknown;
  let extra: Record<string, unknown> = {};
  if (Array.isArray(row)) [tsValue, value] = row;
  else if (isRecord(row)) {
    tsValue = row.ts ?? row.timestamp ?? row.t;
    value = row.value ?? row.v;
    extra = row;
  } else return null;
  const ts = parseTimestamp(tsValue);
  const numeric = finiteOrNull(typeof value === 'string' ? Number(value) : value);
  if (ts === null || numeric === null) return null;
  const point: SeriesPoint = { ts, value: numeric, tsRaw: rawTs(tsValue, ts) };
  if (typeof extra.alert === 'boolean') point.alert = extra.alert;
  if ('zscore' in extra) point.zscore = finiteOrNull(extra.zscore);
  return point;
}

export function parsePoints(body: unknown): SeriesPoint[] {
  const out: SeriesPoint[] = [];
  for (const row of listIn(body, 'points', 'data', 'series')) {
    const point = parsePoint(row);
    if (point) out.push(point);
  }
  return out.sort((a, b) => a.ts - b.ts);
}

export function parseAlert(row: unknown, fallbackMetric = ''): AlertItem | null {
  const point = parsePoint(row);
  if (!point || !isRecord(row)) return null;
  const metric = typeof row.metric === 'string' ? row.metric : fallbackMetric;
  return { metric, value: point.value, ts: point.ts, tsRaw: point.tsRaw ?? toRfc3339(point.ts), zscore: finiteOrNull(row.zscore) };
}

/** Alerts newest first, whatever order they came in. */
export function parseAlerts(body: unknown, fallbackMetric = ''): AlertItem[] {
  const out: AlertItem[] = [];
  for (const row of listIn(body, 'alerts', 'items', 'data')) {
    const alert = parseAlert(row, fallbackMetric);
    if (alert) out.push(alert);
  }
  return out.sort((a, b) => b.ts - a.ts);
}

export function parseCatalog(body: unknown): CatalogEntry[] {
  const out: CatalogEntry[] = [];
  for (const row of listIn(body, 'metrics', 'items')) {
    if (typeof row === 'string') {
      out.push({ metric: row, lastValue: null, lastTs: null, simulated: false });
    } else if (isRecord(row) && typeof row.metric === 'string') {
      out.push({
        metric: row.metric,
        lastValue: finiteOrNull(row.last_value),
        lastTs: parseTimestamp(row.last_ts),
        simulated: row.simulated === true,
      });
    }
  }
  return out.sort((a, b) => a.metric.localeCompare(b.metric));
}

/** The series body: points with the alert points of the range flagged on them. */
export function parseSeries(body: unknown, metric: string): SeriesHistory {
  const points = parsePoints(body);
  const alerts = isRecord(body) ? parseAlerts(body.alerts ?? [], metric) : [];
  const name = isRecord(body) && typeof body.metric === 'string' ? body.metric : metric;
  return { metric: name, points: withAlerts(points, alerts), alerts };
}

/** Alert points join the series (downsampling may have dropped them) with alert=true. */
export function withAlerts(points: SeriesPoint[], alerts: AlertItem[]): SeriesPoint[] {
  if (!alerts.length) return points;
  const byTs = new Map(points.map((point) => [point.ts, point]));
  for (const alert of alerts) {
    const existing = byTs.get(alert.ts);
    byTs.set(alert.ts, {
      ...existing,
      ts: alert.ts,
      value: alert.value,
      tsRaw: alert.tsRaw,
      alert: true,
      zscore: alert.zscore ?? existing?.zscore ?? null,
    });
  }
  return [...byTs.values()].sort((a, b) => a.ts - b.ts);
}

/** A WebSocket message, or null for other types and malformed ones. */
export function parseStreamMessage(raw: unknown): StreamMessage | null {
  let body: unknown = raw;
  if (typeof raw === 'string') {
    try {
      body = JSON.parse(raw);
    } catch {
      return null;
    }
  }
  if (!isRecord(body) || body.type !== 'metric' || !isRecord(body.data)) return null;
  const data = body.data;
  if (typeof data.metric !== 'string') return null;
  const base = parsePoint(data);
  if (!base) return null;
  const alert = body.alert === true;
  const zscore = finiteOrNull(body.zscore);
  const mean = finiteOrNull(body.mean);
  const std = finiteOrNull(body.std);
  const state = body.state === 'pending' || body.state === 'firing' ? body.state : 'normal';
  const pending = finiteOrNull(body.pending) ?? 0;
  return {
    metric: data.metric,
    point: { ts: base.ts, value: base.value, tsRaw: base.tsRaw, alert, zscore, mean, std, state, pending },
    alert,
    zscore,
    mean,
    std,
    n: finiteOrNull(body.n),
  };
}

export function parseCreatedSnapshot(body: unknown): CreatedSnapshot {
  if (!isRecord(body) || typeof body.id !== 'string') throw new Error('unexpected snapshot answer');
  return {
    id: body.id,
    url: typeof body.url === 'string' ? body.url : `/snapshot/${body.id}`,
    createdAt: parseTimestamp(body.created_at),
    deleteKey: typeof body.delete_key === 'string' ? body.delete_key : null,
  };
}

function parseFrozen(body: unknown): FrozenData | null {
  if (!isRecord(body)) return null;
  const series: Record<string, SeriesPoint[]> = {};
  const alerts: AlertItem[] = [];
  const raw = body.series;
  if (isRecord(raw)) {
    for (const [metric, value] of Object.entries(raw)) {
      const points = parsePoints(value);
      const nested = isRecord(value) ? parseAlerts(value.alerts ?? [], metric) : [];
      series[metric] = withAlerts(points, nested);
      alerts.push(...nested);
    }
  } else if (Array.isArray(raw)) {
    // A bare list: rows may name their metric.
    for (const row of raw) {
      const point = parsePoint(row);
      if (!point) continue;
      const metric = isRecord(row) && typeof row.metric === 'string' ? row.metric : '';
      (series[metric] ??= []).push(point);
    }
  }
  const metrics = Object.keys(series);
  const onlyMetric = metrics.length === 1 ? metrics[0]! : '';
  for (const alert of parseAlerts(body.alerts ?? [], onlyMetric)) {
    if (alerts.some((known) => known.ts === alert.ts && known.metric === alert.metric)) continue;
    alerts.push(alert);
    const points = series[alert.metric];
    if (points) series[alert.metric] = withAlerts(points, [alert]);
  }
  alerts.sort((a, b) => b.ts - a.ts);
  return { series, alerts };
}

export function parseSnapshot(body: unknown): Snapshot {
  if (!isRecord(body) || typeof body.id !== 'string') throw new Error('unexpected snapshot');
  return {
    id: body.id,
    state: isRecord(body.state) ? body.state : {},
    createdAt: parseTimestamp(body.created_at),
    data: parseFrozen(body.data),
  };
}
