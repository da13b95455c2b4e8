/**
 * The overview's model, outside React: one tile per metric (newest value, state, unit, a short
 * sparkline), fed by the catalog and the `metric=*&mode=latest` stream. Components read it through
 * `version`, re-rendering on their own schedule, never once per message.
 */
import { finiteOrNull, isRecord } from '@/lib/api-client';
import { parseTimestamp } from '@/lib/time';

export type MetricState = 'firing' | 'pending' | 'normal';

export interface Tile {
  metric: string;
  value: number | null;
  ts: number | null;
  state: MetricState;
  unit: string | null;
  label: string | null;
  /** Sparkline points, oldest first, [ts, value]. */
  spark: [number, number][];
}

/** Points kept per sparkline: one a second for two minutes, or the downsampled history. */
export const SPARK_POINTS = 120;
const STATE_RANK: Record<MetricState, number> = { firing: 0, pending: 1, normal: 2 };

/**
 * The metric state a message or catalog row carries: SPEC §10's `"state"` (a string, or an
 * object with `state`). Without one, a point-level `alert: true` counts as firing; otherwise normal.
 */
export function readState(body: Record<string, unknown>): MetricState {
  const raw = isRecord(body.state) ? body.state.state : body.state;
  if (raw === 'firing' || raw === 'pending' || raw === 'normal') return raw;
  return body.alert === true ? 'firing' : 'normal';
}

function readMeta(row: Record<string, unknown>): { unit: string | null; label: string | null } {
  const meta = isRecord(row.meta) ? row.meta : row;
  const unit = typeof meta.unit === 'string' && meta.unit ? meta.unit : null;
  const label = typeof meta.label === 'string' && meta.label ? meta.label : null;
  return { unit, label };
}

/** Firing first, then pending, then normal; by name within each. */
export function orderTiles(tiles: Iterable<Tile>, filter = ''): Tile[] {
  const needle = filter.trim().toLowerCase();
  const out: Tile[] = [];
  for (const tile of tiles) {
    if (!needle || tile.metric.toLowerCase().includes(needle) || tile.label?.toLowerCase().includes(needle)) {
      out.push(tile);
    }
  }
  return out.sort((a, b) => STATE_RANK[a.state] - STATE_RANK[b.state] || a.metric.localeCompare(b.metric));
}

/** Stale: nothing new for three of the metric's usual intervals, and at least `floorMs`. */
export function isStale(tile: Tile, now: number, floorMs = 10_000): boolean {
  if (tile.ts === null) return true;
  const { spark } = tile;
  let interval = 0;
  if (spark.length >= 3) {
    const gaps = spark.slice(1).map(([ts], i) => ts - spark[i]![0]).sort((a, b) => a - b);
    interval = gaps[Math.floor(gaps.length / 2)]!;
  }
  return now - tile.ts > Math.max(floorMs, 3 * interval);
}

/** An SVG path for the sparkline in a `width` × `height` box (empty with fewer than two points). */
export function sparkPath(spark: readonly [number, number][], width: number, height: number): string {
  if (spark.length < 2) return '';
  const t0 = spark[0]![0];
  const span = spark[spark.length - 1]![0] - t0 || 1;
  let lo = Infinity;
  let hi = -Infinity;
  for (const [, value] of spark) {
    lo = Math.min(lo, value);
    hi = Math.max(hi, value);
  }
  const rise = hi - lo || 1;
  return spark
    .map(([ts, value], i) => {
      const x = ((ts - t0) / span) * width;
      const y = height - 1 - ((value - lo) / rise) * (height - 2);
      return `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join('');
}

export class TileStore {
  private tiles = new Map<string, Tile>();
  private listeners = new Set<() => void>();
  version = 0;

  constructor(private retainMs: number) {}

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getVersion = (): number => this.version;

  all(): IterableIterator<Tile> {
    return this.tiles.values();
  }

  get(metric: string): Tile | undefined {
    return this.tiles.get(metric);
  }

  get size(): number {
    return this.tiles.size;
  }

  private tile(metric: string): Tile {
    let tile = this.tiles.get(metric);
    if (!tile) {
      tile = { metric, value: null, ts: null, state: 'normal', unit: null, label: null, spark: [] };
      this.tiles.set(metric, tile);
    }
    return tile;
  }

  private changed(): void {
    this.version++;
    for (const listener of this.listeners) listener();
  }

  /** GET /metrics rows; a metric the catalog no longer lists leaves the overview. */
  applyCatalog(rows: unknown): void {
    if (!Array.isArray(rows)) return;
    const seen = new Set<string>();
    for (const row of rows) {
      if (!isRecord(row) || typeof row.metric !== 'string') continue;
      seen.add(row.metric);
      const tile = this.tile(row.metric);
      const ts = parseTimestamp(row.last_ts);
      if (ts !== null && (tile.ts === null || ts > tile.ts)) {
        tile.ts = ts;
        tile.value = finiteOrNull(row.last_value);
      }
      if ('state' in row) tile.state = readState(row);
      const meta = readMeta(row);
      tile.unit = meta.unit ?? tile.unit;
      tile.label = meta.label ?? tile.label;
    }
    for (const metric of [...this.tiles.keys()]) if (!seen.has(metric)) this.tiles.delete(metric);
    this.changed();
  }

  /** One `{"type":"metric",...}` message (a string or parsed); others are ignored. */
  applyMessage(raw: unknown): void {
    let body = raw;
    if (typeof raw === 'string') {
      try {
        body = JSON.parse(raw);
      } catch {
        return;
      }
    }
    if (!isRecord(body) || body.type !== 'metric' || !isRecord(body.data)) return;
    const { metric } = body.data;
    const ts = parseTimestamp(body.data.ts);
    const value = finiteOrNull(body.data.value);
    if (typeof metric !== 'string' || ts === null || value === null) return;
    const tile = this.tile(metric);
    tile.state = readState(body);
    if (tile.ts === null || ts >= tile.ts) {
      tile.ts = ts;
      tile.value = value;
    }
    this.addSpark(tile, [[ts, value]]);
    this.changed();
  }

  /** History for a sparkline (downsampled on the server), merged under the live points. */
  seed(metric: string, points: readonly { ts: number; value: number }[]): void {
    const tile = this.tiles.get(metric);
    if (!tile) return;
    this.addSpark(tile, points.map((p) => [p.ts, p.value]));
    this.changed();
  }

  private addSpark(tile: Tile, points: [number, number][]): void {
    const merged = new Map(tile.spark);
    for (const [ts, value] of points) merged.set(ts, value);
    const sorted = [...merged].sort((a, b) => a[0] - b[0]);
    const newest = sorted.length ? sorted[sorted.length - 1]![0] : 0;
    const kept = sorted.filter(([ts]) => ts >= newest - this.retainMs);
    // Fixed size: the oldest of every pair of neighbours goes first when over the cap.
    while (kept.length > SPARK_POINTS) kept.splice(1, 1);
    tile.spark = kept;
  }
}
