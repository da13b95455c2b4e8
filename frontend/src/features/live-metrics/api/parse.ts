/**
 * Every response and message shape the dashboard reads, parsed in one place so a change in the
 * backend's JSON is a change here only. Parsing is strict (lib/contract.ts): exactly the fields
 * the server sends (SPEC §5, §6), so contract drift fails loudly — an HTTP answer that does not
 * match throws, a socket message that does not match is dropped with a console error.
 */
import {
  ContractError,
  fields,
  flag,
  integer,
  list,
  number,
  numberOrNull,
  object,
  readMessage,
  text,
  textOrNull,
  timestamp,
} from '@/lib/contract';
import { isRecord } from '@/lib/api-client';
import type { SeriesPoint } from '@/lib/series-buffer';
import { parseTimestamp } from '@/lib/time';
import type { AlertItem, CatalogEntry, CatalogEvent, CreatedSnapshot, FrozenData, SeriesHistory, Snapshot, StreamMessage, TimeWindow } from './types';

const SERIES_FIELDS = ['metric', 'from', 'to', 'points', 'alerts', 'downsampled'];
const SERIES_POINT_FIELDS = ['ts', 'value', 'zscore', 'mean', 'std'];
const SERIES_ALERT_FIELDS = ['ts', 'value', 'zscore'];
const ALERT_FIELDS = ['metric', 'value', 'ts', 'zscore', 'mean', 'std', 'n'];
const CATALOG_FIELDS = ['metric', 'last_value', 'last_ts', 'simulated', 'unit', 'label', 'decimals'];
const CATALOG_EVENT_FIELDS = ['type', 'event', 'metric'];
const MESSAGE_FIELDS = ['type', 'data', 'alert', 'zscore', 'mean', 'std', 'n', 'state', 'seq'];
const MESSAGE_DATA_FIELDS = ['metric', 'value', 'ts'];
const STATES = ['normal', 'pending', 'firing'] as const;

/** One point of a series body (`{ts, value, zscore, mean, std}`). */
function parseSeriesPoint(row: unknown, where: string): SeriesPoint {
  const point = fields(row, where, SERIES_POINT_FIELDS);
  const tsRaw = text(point.ts, `${where}.ts`);
  return {
    ts: timestamp(tsRaw, `${where}.ts`),
    value: number(point.value, `${where}.value`),
    tsRaw,
    zscore: numberOrNull(point.zscore, `${where}.zscore`),
    mean: numberOrNull(point.mean, `${where}.mean`),
    std: numberOrNull(point.std, `${where}.std`),
  };
}

/** One alert point of a series body (`{ts, value, zscore}`). */
function parseSeriesAlert(row: unknown, where: string, metric: string): AlertItem {
  const alert = fields(row, where, SERIES_ALERT_FIELDS);
  const tsRaw = text(alert.ts, `${where}.ts`);
  return {
    metric,
    value: number(alert.value, `${where}.value`),
    ts: timestamp(tsRaw, `${where}.ts`),
    tsRaw,
    zscore: numberOrNull(alert.zscore, `${where}.zscore`),
  };
}

/** GET /metrics/{metric}/series: its points (ascending ts) with the alert points of the range
 * flagged on them, and those alerts newest first; for a live range, the `seq` its stream resumes
 * after. */
export function parseSeries(body: unknown, where = 'series'): SeriesHistory & { window: TimeWindow } {
  const series = fields(body, where, SERIES_FIELDS, ['seq']);
  const metric = text(series.metric, `${where}.metric`);
  flag(series.downsampled, `${where}.downsampled`);
  const points = list(series.points, `${where}.points`).map((row, i) => parseSeriesPoint(row, `${where}.points[${i}]`));
  const alerts = list(series.alerts, `${where}.alerts`)
    .map((row, i) => parseSeriesAlert(row, `${where}.alerts[${i}]`, metric))
    .sort((a, b) => b.ts - a.ts);
  const window = { from: timestamp(series.from, `${where}.from`), to: timestamp(series.to, `${where}.to`) };
  const seq = 'seq' in series ? integer(series.seq, `${where}.seq`) : undefined;
  return { metric, points: withAlerts(points, alerts), alerts, window, ...(seq === undefined ? {} : { seq }) };
}

/** The points of a series body. */
export function parsePoints(body: unknown): SeriesPoint[] {
  return parseSeries(body).points;
}

/** GET /alerts: newest first. */
export function parseAlerts(body: unknown): AlertItem[] {
  return list(body, 'alerts')
    .map((row, i) => {
      const where = `alerts[${i}]`;
      const alert = fields(row, where, ALERT_FIELDS);
      const tsRaw = text(alert.ts, `${where}.ts`);
      numberOrNull(alert.mean, `${where}.mean`);
      numberOrNull(alert.std, `${where}.std`);
      integer(alert.n, `${where}.n`);
      return {
        metric: text(alert.metric, `${where}.metric`),
        value: number(alert.value, `${where}.value`),
        ts: timestamp(tsRaw, `${where}.ts`),
        tsRaw,
        zscore: numberOrNull(alert.zscore, `${where}.zscore`),
      };
    })
    .sort((a, b) => b.ts - a.ts);
}

/** GET /metrics, sorted by name. */
export function parseCatalog(body: unknown): CatalogEntry[] {
  return list(body, 'catalog')
    .map((row, i) => {
      const where = `catalog[${i}]`;
      const entry = fields(row, where, CATALOG_FIELDS);
      const decimals = entry.decimals === null ? null : integer(entry.decimals, `${where}.decimals`);
      return {
        metric: text(entry.metric, `${where}.metric`),
        lastValue: number(entry.last_value, `${where}.last_value`),
        lastTs: timestamp(entry.last_ts, `${where}.last_ts`),
        simulated: flag(entry.simulated, `${where}.simulated`),
        unit: textOrNull(entry.unit, `${where}.unit`) || null,
        label: textOrNull(entry.label, `${where}.label`) || null,
        decimals,
      };
    })
    .sort((a, b) => a.metric.localeCompare(b.metric));
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

/** A `{"type":"metric"}` message as SPEC §6 defines it (pending only while pending). */
function parseMetricMessage(body: unknown): StreamMessage | null {
  if (!isRecord(body) || body.type !== 'metric') return null;
  const message = fields(body, 'message', MESSAGE_FIELDS, ['pending']);
  const data = fields(message.data, 'message.data', MESSAGE_DATA_FIELDS);
  const tsRaw = text(data.ts, 'message.data.ts');
  const state = text(message.state, 'message.state');
  if (!STATES.includes(state as (typeof STATES)[number])) throw new ContractError('message.state', `unknown state "${state}"`);
  const incident = state as (typeof STATES)[number];
  const seq = integer(message.seq, 'message.seq');
  if (seq < 1) throw new ContractError('message.seq', 'expected a positive integer');
  const alert = flag(message.alert, 'message.alert');
  const zscore = numberOrNull(message.zscore, 'message.zscore');
  const mean = numberOrNull(message.mean, 'message.mean');
  const std = numberOrNull(message.std, 'message.std');
  const pending = 'pending' in message ? integer(message.pending, 'message.pending') : 0;
  return {
    metric: text(data.metric, 'message.data.metric'),
    seq,
    point: {
      ts: timestamp(tsRaw, 'message.data.ts'),
      value: number(data.value, 'message.data.value'),
      tsRaw,
      alert,
      zscore,
      mean,
      std,
      state: incident,
      pending,
    },
    alert,
    zscore,
    mean,
    std,
    n: integer(message.n, 'message.n'),
    state: incident,
  };
}

/** A socket message: the metric message it is, null for another type or (logged) a broken one. */
export function parseStreamMessage(raw: unknown): StreamMessage | null {
  return readMessage(raw, parseMetricMessage);
}

/** A `{"type":"catalog","event":"added"|"removed","metric":…}` announcement (SPEC §6). */
function parseCatalogMessage(body: unknown): CatalogEvent | null {
  if (!isRecord(body) || body.type !== 'catalog') return null;
  const message = fields(body, 'catalog message', CATALOG_EVENT_FIELDS);
  const event = text(message.event, 'catalog message.event');
  if (event !== 'added' && event !== 'removed') throw new ContractError('catalog message.event', `unknown event "${event}"`);
  const metric = text(message.metric, 'catalog message.metric');
  if (!metric) throw new ContractError('catalog message.metric', 'expected a metric name');
  return { event, metric };
}

/** A socket message: the catalog announcement it is, null for another type or (logged) a broken one. */
export function parseCatalogEvent(raw: unknown): CatalogEvent | null {
  return readMessage(raw, parseCatalogMessage);
}

/** 201 of POST /snapshots. */
export function parseCreatedSnapshot(body: unknown): CreatedSnapshot {
  const created = fields(body, 'snapshot', ['id', 'url', 'created_at', 'delete_key'], ['expires_at']);
  return {
    id: text(created.id, 'snapshot.id'),
    url: text(created.url, 'snapshot.url'),
    createdAt: timestamp(created.created_at, 'snapshot.created_at'),
    deleteKey: text(created.delete_key, 'snapshot.delete_key'),
  };
}

/** The frozen data of a snapshot: `{from, to, series: {<metric>: <series body>}}`. */
function parseFrozen(body: unknown): { data: FrozenData; window: TimeWindow } {
  const frozen = fields(body, 'snapshot.data', ['from', 'to', 'series']);
  const series: Record<string, SeriesPoint[]> = {};
  const alerts: AlertItem[] = [];
  for (const [metric, value] of Object.entries(object(frozen.series, 'snapshot.data.series'))) {
    const parsed = parseSeries(value, `snapshot.data.series.${metric}`);
    series[metric] = parsed.points;
    alerts.push(...parsed.alerts);
  }
  alerts.sort((a, b) => b.ts - a.ts);
  const window = { from: timestamp(frozen.from, 'snapshot.data.from'), to: timestamp(frozen.to, 'snapshot.data.to') };
  return { data: { series, alerts }, window };
}

/** The window the dashboard saved in a snapshot's state (its own keys, so read leniently). */
function stateWindow(state: Record<string, unknown>): TimeWindow | null {
  const from = parseTimestamp(state.from);
  const to = parseTimestamp(state.to);
  return from !== null && to !== null && from < to ? { from, to } : null;
}

/** GET /snapshots/{id}. */
export function parseSnapshot(body: unknown): Snapshot {
  const snapshot = fields(body, 'snapshot', ['id', 'state', 'created_at'], ['expires_at', 'data']);
  const state = object(snapshot.state, 'snapshot.state');
  const frozen = 'data' in snapshot ? parseFrozen(snapshot.data) : null;
  return {
    id: text(snapshot.id, 'snapshot.id'),
    state,
    createdAt: timestamp(snapshot.created_at, 'snapshot.created_at'),
    data: frozen?.data ?? null,
    window: stateWindow(state) ?? frozen?.window ?? null,
  };
}
