import type { MetricMeta } from '@/lib/metric-format';
import type { SeriesPoint } from '@/lib/series-buffer';

/** One row of GET /metrics, with the metric's display metadata. */
export interface CatalogEntry extends MetricMeta {
  metric: string;
  lastValue: number | null;
  lastTs: number | null;
  simulated: boolean;
}

/** A `{"type":"catalog"}` stream message (SPEC §6): a metric joined the catalog or left it. */
export interface CatalogEvent {
  event: 'added' | 'removed';
  metric: string;
}

/** One alert (GET /alerts, the `alerts` of a series, or a live message with alert=true). */
export interface AlertItem {
  metric: string;
  value: number;
  ts: number;
  tsRaw: string;
  zscore: number | null;
}

/** GET /metrics/{metric}/series. */
export interface SeriesHistory {
  metric: string;
  points: SeriesPoint[];
  alerts: AlertItem[];
  /** A live range only: the stream resumes after it (`since=<metric>:<seq>`), missing nothing. */
  seq?: number;
}

/** A `{"type":"metric", ...}` WebSocket message. */
export interface StreamMessage {
  metric: string;
  /** The point's place in its metric's scoring order (SPEC §6): dense, per metric. */
  seq: number;
  point: SeriesPoint;
  alert: boolean;
  zscore: number | null;
  mean: number | null;
  std: number | null;
  n: number | null;
  /** The metric's incident state after this point. */
  state: 'normal' | 'pending' | 'firing';
}

/** What the dashboard saves in a snapshot's `state` (unknown keys are kept by the server). */
export interface SnapshotState {
  selectedMetric: string | null;
  timeRangeHours: number;
  layout: SnapshotLayout;
  range: string;
  language: string;
  savedAt: string;
  /** The absolute window on screen (RFC 3339; a zoomed or custom window, or the preset's at save
   * time): what the snapshot freezes and exports. */
  from: string;
  to: string;
}

export interface SnapshotLayout {
  panels: string[];
  /** The compare view: its metrics and whether they share one chart or are stacked. */
  view?: 'compare';
  metrics?: string[];
  mode?: 'overlay' | 'stacked';
}

/** 201 of POST /snapshots. */
export interface CreatedSnapshot {
  id: string;
  url: string;
  createdAt: number | null;
  deleteKey: string | null;
}

/** Series and alerts frozen into a snapshot on the server (`include_data`). */
export interface FrozenData {
  series: Record<string, SeriesPoint[]>;
  alerts: AlertItem[];
}

/** An absolute window, epoch ms. */
export interface TimeWindow {
  from: number;
  to: number;
}

/** GET /snapshots/{id}. */
export interface Snapshot {
  id: string;
  state: Record<string, unknown>;
  createdAt: number | null;
  data: FrozenData | null;
  /** The window the snapshot shows: state.from/to, else the frozen data's, else none. */
  window: TimeWindow | null;
}
