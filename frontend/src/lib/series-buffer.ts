/**
 * A fixed-capacity, time-ordered series that lives outside React.
 *
 * Points are unique by timestamp (a replayed point replaces, never duplicates), kept in
 * ascending ts order in a preallocated ring, and read through `subscribe`/`getSnapshot` so
 * components use `useSyncExternalStore`. The common case — a live point newer than every
 * other — is O(1); backfill and history merges are O(capacity).
 *
 * When the ring is full the oldest points beyond `retainMs` go first; if that is not enough,
 * the older part is thinned to the min and max of each time bucket (alert points are always
 * kept), so a long range stays covered end to end and spikes stay visible while the newest
 * points keep full resolution.
 */
import { reduceBuckets } from './downsample';

export interface SeriesPoint {
  /** Epoch milliseconds. */
  ts: number;
  value: number;
  /** The timestamp exactly as the server sent it, reused for `since=`. */
  tsRaw?: string;
  alert?: boolean;
  zscore?: number | null;
  /** The window baseline when this point was scored (stored with the point). */
  mean?: number | null;
  std?: number | null;
  /** The metric's incident state after this point (SPEC §10), live points only. */
  state?: 'normal' | 'pending' | 'firing';
  /** Alerting points counted so far while pending. */
  pending?: number;
}

export interface SeriesSnapshot {
  readonly version: number;
  readonly points: readonly SeriesPoint[];
}

export interface SeriesBufferOptions {
  capacity?: number;
  /** Points older than the newest minus this are dropped first when space is needed. */
  retainMs?: number | null;
}

type Listener = () => void;

export const DEFAULT_CAPACITY = 1000;

function mergePoint(older: SeriesPoint, newer: SeriesPoint): SeriesPoint {
  // A live message carries more than a history row: keep whatever either one knows.
  return {
    ts: newer.ts,
    value: newer.value,
    tsRaw: newer.tsRaw ?? older.tsRaw,
    alert: newer.alert ?? older.alert,
    zscore: newer.zscore ?? older.zscore,
    mean: newer.mean ?? older.mean,
    std: newer.std ?? older.std,
    state: newer.state ?? older.state,
    pending: newer.pending ?? older.pending,
  };
}

export class SeriesBuffer {
  readonly capacity: number;
  private retainMs: number | null;
  private readonly ring: (SeriesPoint | undefined)[];
  private head = 0;
  private count = 0;
  private version = 0;
  private snapshot: SeriesSnapshot = { version: 0, points: [] };
  private readonly listeners = new Set<Listener>();

  constructor(options: SeriesBufferOptions = {}) {
    const capacity = options.capacity ?? DEFAULT_CAPACITY;
    if (!Number.isInteger(capacity) || capacity < 8) throw new Error('capacity must be an integer ≥ 8');
    this.capacity = capacity;
    this.retainMs = options.retainMs ?? null;
    this.ring = new Array<SeriesPoint | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Newest point, or undefined when empty. */
  get last(): SeriesPoint | undefined {
    return this.count ? this.at(this.count - 1) : undefined;
  }

  get first(): SeriesPoint | undefined {
    return this.count ? this.at(0) : undefined;
  }

  setRetention(retainMs: number | null): void {
    this.retainMs = retainMs;
    const last = this.last;
    if (!last) return;
    const before = this.count;
    this.evictBefore(last.ts);
    if (this.count !== before) this.changed();
  }

  /** Add one point (the live hot path). */
  push(point: SeriesPoint): void {
    if (this.insert(point)) this.changed();
  }

  /** Add many points (history, backfill, frozen data) with one notification. */
  merge(points: Iterable<SeriesPoint>): void {
    let changed = false;
    for (const point of points) changed = this.insert(point) || changed;
    if (changed) this.changed();
  }

  clear(): void {
    if (!this.count) return;
    this.ring.fill(undefined);
    this.head = 0;
    this.count = 0;
    this.changed();
  }

  toArray(): SeriesPoint[] {
    const out = new Array<SeriesPoint>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.at(i);
    return out;
  }

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Stable between changes, as `useSyncExternalStore` requires. */
  getSnapshot = (): SeriesSnapshot => {
    if (this.snapshot.version !== this.version) {
      this.snapshot = { version: this.version, points: this.toArray() };
    }
    return this.snapshot;
  };

  private at(i: number): SeriesPoint {
    return this.ring[(this.head + i) % this.capacity] as SeriesPoint;
  }

  private setAt(i: number, point: SeriesPoint): void {
    this.ring[(this.head + i) % this.capacity] = point;
  }

  private changed(): void {
    this.version++;
    for (const listener of [...this.listeners]) listener();
  }

  /** Returns whether anything changed. */
  private insert(point: SeriesPoint): boolean {
    if (!Number.isFinite(point.ts) || !Number.isFinite(point.value)) return false;
    const last = this.last;
    if (last && point.ts === last.ts) {
      this.setAt(this.count - 1, mergePoint(last, point));
      return true;
    }
    if (!last || point.ts > last.ts) {
      this.evictBefore(point.ts);
      if (this.count < this.capacity) {
        this.setAt(this.count, point);
        this.count++;
      } else {
        const items = this.toArray();
        items.push(point);
        this.store(items);
      }
      return true;
    }
    // Older than the newest: a backfilled or history point.
    if (this.retainMs !== null && point.ts < last.ts - this.retainMs) return false;
    const index = this.lowerBound(point.ts);
    if (index < this.count && this.at(index).ts === point.ts) {
      this.setAt(index, mergePoint(this.at(index), point));
      return true;
    }
    const items = this.toArray();
    items.splice(index, 0, point);
    this.store(items);
    return true;
  }

  /** Drop the points that fell out of the retention window (O(1) per dropped point). */
  private evictBefore(newestTs: number): void {
    if (this.retainMs === null) return;
    const cutoff = newestTs - this.retainMs;
    while (this.count && this.at(0).ts < cutoff) {
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.count--;
    }
  }

  /** First index whose ts is ≥ the given one. */
  private lowerBound(ts: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).ts < ts) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Write a sorted array into the ring, making it fit first. */
  private store(items: SeriesPoint[]): void {
    let kept = items;
    if (this.retainMs !== null && kept.length) {
      const cutoff = kept[kept.length - 1]!.ts - this.retainMs;
      let drop = 0;
      while (drop < kept.length && kept[drop]!.ts < cutoff) drop++;
      kept = kept.slice(drop);
    }
    if (kept.length > this.capacity) kept = thin(kept, this.capacity, this.retainMs);
    if (kept.length > this.capacity) kept = kept.slice(kept.length - this.capacity);
    this.ring.fill(undefined);
    this.head = 0;
    this.count = kept.length;
    for (let i = 0; i < kept.length; i++) this.ring[i] = kept[i];
  }
}

/**
 * Reduce each time bucket of the older points to its min and max (plus alerts), oldest
 * first, until a quarter of the capacity is free; the newest keep full resolution.
 */
function thin(items: SeriesPoint[], capacity: number, retainMs: number | null): SeriesPoint[] {
  const firstTs = items[0]!.ts;
  const span = Math.max(retainMs ?? 0, items[items.length - 1]!.ts - firstTs, 1);
  const width = span / Math.max(1, Math.floor(capacity / 4));
  const target = capacity - Math.ceil(capacity / 4);
  const out: SeriesPoint[] = [];
  const rest = reduceBuckets(
    items,
    (ts) => Math.floor((ts - firstTs) / width),
    out,
    (i) => items.length - i + out.length <= target,
  );
  for (let i = rest; i < items.length; i++) out.push(items[i]!);
  return out;
}
