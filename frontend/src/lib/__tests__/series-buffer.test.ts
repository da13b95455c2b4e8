// @vitest-environment node
import { describe, expect, it, vi } from 'vitest';
import { SeriesBuffer, type SeriesPoint } from '../series-buffer';

const p = (ts: number, value = ts, extra: Partial<SeriesPoint> = {}): SeriesPoint => ({ ts, value, ...extra });
const tss = (buffer: SeriesBuffer) => buffer.toArray().map((point) => point.ts);

function isStrictlyAscending(values: number[]): boolean {
  return values.every((value, i) => i === 0 || value > values[i - 1]!);
}

describe('SeriesBuffer', () => {
  it('keeps points in ts order whatever order they arrive in', () => {
    const buffer = new SeriesBuffer({ capacity: 16 });
    for (const ts of [5, 1, 9, 3, 7]) buffer.push(p(ts));
    expect(tss(buffer)).toEqual([1, 3, 5, 7, 9]);
    expect(buffer.last?.ts).toBe(9);
    expect(buffer.first?.ts).toBe(1);
  });

  it('never grows past its capacity', () => {
    const buffer = new SeriesBuffer({ capacity: 100 });
    for (let ts = 1; ts <= 5_000; ts++) {
      buffer.push(p(ts * 1000));
      expect(buffer.size).toBeLessThanOrEqual(100);
    }
    expect(buffer.size).toBeGreaterThan(50);
    expect(buffer.last?.ts).toBe(5_000_000);
    expect(isStrictlyAscending(tss(buffer))).toBe(true);
  });

  it('drops points that fell out of the retention window', () => {
    const buffer = new SeriesBuffer({ capacity: 100, retainMs: 10_000 });
    for (let s = 0; s <= 30; s++) buffer.push(p(s * 1000));
    expect(buffer.first?.ts).toBe(20_000);
    expect(buffer.size).toBe(11);
    // A late point older than the window is refused rather than resurrected.
    buffer.push(p(5_000));
    expect(buffer.first?.ts).toBe(20_000);
  });

  it('keeps the newest points at full resolution and the oldest covered when thinning', () => {
    const buffer = new SeriesBuffer({ capacity: 200, retainMs: 3_600_000 });
    for (let s = 0; s < 3600; s++) buffer.push(p(s * 1000, Math.sin(s / 50)));
    const ts = tss(buffer);
    expect(buffer.size).toBeLessThanOrEqual(200);
    // The range stays covered end to end...
    expect(ts[0]!).toBeLessThan(60_000);
    expect(ts[ts.length - 1]).toBe(3_599_000);
    // ...and the newest stretch is still one point per second.
    const tail = ts.slice(-20);
    expect(tail.every((value, i) => i === 0 || value - tail[i - 1]! === 1000)).toBe(true);
  });

  it('keeps alert points and spikes when thinning', () => {
    const buffer = new SeriesBuffer({ capacity: 64 });
    for (let s = 0; s < 1000; s++) {
      const spike = s === 100;
      const alert = s === 200;
      buffer.push(p(s * 1000, spike ? 1e6 : alert ? 50 : 10 + (s % 3), { alert }));
    }
    const points = buffer.toArray();
    expect(points.some((point) => point.value === 1e6)).toBe(true);
    expect(points.some((point) => point.alert && point.ts === 200_000)).toBe(true);
  });

  it('has no duplicates after a backfill overlapping the live points', () => {
    const buffer = new SeriesBuffer({ capacity: 1000 });
    // History, then live points, then a replay (since=) that overlaps both.
    buffer.merge([1, 2, 3, 4, 5].map((s) => p(s * 1000, s)));
    buffer.push(p(6000, 6, { mean: 3, std: 1, state: 'pending', pending: 2 }));
    buffer.push(p(7000, 7, { mean: 3, std: 1 }));
    buffer.merge([5, 6, 7, 8, 9].map((s) => p(s * 1000, s)));
    buffer.push(p(9000, 9));
    expect(tss(buffer)).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000]);
    // What the live message knew (the baseline) survives the replayed copy.
    expect(buffer.toArray()[5]).toMatchObject({ ts: 6000, mean: 3, std: 1, state: 'pending', pending: 2 });
  });

  it('merges an out-of-order point into a full buffer without losing order', () => {
    const buffer = new SeriesBuffer({ capacity: 32 });
    for (let s = 0; s < 32; s += 2) buffer.push(p(s * 1000));
    buffer.merge(Array.from({ length: 32 }, (_, s) => p(s * 1000 + 500)));
    const ts = tss(buffer);
    expect(buffer.size).toBeLessThanOrEqual(32);
    expect(isStrictlyAscending(ts)).toBe(true);
    expect(ts[ts.length - 1]).toBe(31_500);
  });

  it('notifies once per push and once per merge, with a stable snapshot between changes', () => {
    const buffer = new SeriesBuffer({ capacity: 16 });
    const listener = vi.fn();
    const unsubscribe = buffer.subscribe(listener);
    const before = buffer.getSnapshot();
    expect(buffer.getSnapshot()).toBe(before);
    buffer.push(p(1));
    expect(listener).toHaveBeenCalledTimes(1);
    buffer.merge([p(2), p(3), p(4)]);
    expect(listener).toHaveBeenCalledTimes(2);
    const after = buffer.getSnapshot();
    expect(after).not.toBe(before);
    expect(after.points.map((point) => point.ts)).toEqual([1, 2, 3, 4]);
    expect(buffer.getSnapshot()).toBe(after);
    unsubscribe();
    buffer.push(p(5));
    expect(listener).toHaveBeenCalledTimes(2);
  });

  it('ignores non-finite points', () => {
    const buffer = new SeriesBuffer({ capacity: 16 });
    buffer.push(p(Number.NaN));
    buffer.push({ ts: 1, value: Number.POSITIVE_INFINITY });
    expect(buffer.size).toBe(0);
  });
});
