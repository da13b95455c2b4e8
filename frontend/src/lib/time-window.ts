/**
 * The time window on screen, one home for every view: a preset ending now (following live) or a
 * fixed window (zoomed, panned or picked) kept in the URL as `from`/`to` (RFC 3339).
 */
import { parseTimestamp, toRfc3339 } from './time';
import { rangeMs, type TimeRange } from './time-range';

/** A fixed window, epoch ms, `from < to`. */
export interface FixedWindow {
  from: number;
  to: number;
}

/** The window shown: its bounds, and whether it follows live (a preset ending now). */
export interface ShownWindow extends FixedWindow {
  live: boolean;
}

/** The narrowest window a zoom may reach. */
export const MIN_SPAN_MS = 1000;

/** The fixed window of `from` and `to` (RFC 3339 or epoch seconds); null unless both read and from < to. */
export function parseWindow(from: unknown, to: unknown): FixedWindow | null {
  const start = parseTimestamp(from);
  const end = parseTimestamp(to);
  return start !== null && end !== null && start < end ? { from: start, to: end } : null;
}

/** The fixed window a query string holds, or null (the preset). */
export function readWindow(search: string | URLSearchParams): FixedWindow | null {
  const params = typeof search === 'string' ? new URLSearchParams(search) : search;
  return parseWindow(params.get('from'), params.get('to'));
}

/** `params` with the window set (RFC 3339), or removed for the preset; other parameters are kept. */
export function writeWindow(params: URLSearchParams, window: FixedWindow | null): URLSearchParams {
  if (window) {
    params.set('from', toRfc3339(window.from));
    params.set('to', toRfc3339(window.to));
  } else {
    params.delete('from');
    params.delete('to');
  }
  return params;
}

/** The window on screen: the fixed one, or the preset ending now (live). */
export function windowOf(range: TimeRange, fixed: FixedWindow | null, now: number): ShownWindow {
  return fixed ? { ...fixed, live: false } : resetToPreset(range, now);
}

/** The preset ending now: what a reset (double-click, "Resume live") returns to. */
export function resetToPreset(range: TimeRange, now: number): ShownWindow {
  return { from: now - rangeMs(range), to: now, live: true };
}

/** The window between two picked instants (in either order), at least MIN_SPAN_MS wide. */
export function zoomTo(a: number, b: number): FixedWindow {
  const from = Math.min(a, b);
  const to = Math.max(a, b);
  if (to - from >= MIN_SPAN_MS) return { from, to };
  const middle = (from + to) / 2;
  return { from: middle - MIN_SPAN_MS / 2, to: middle + MIN_SPAN_MS / 2 };
}

/** The window moved by `fraction` of its width (negative: earlier), never past `now`. */
export function panBy(window: FixedWindow, fraction: number, now: number): FixedWindow {
  const shift = Math.min((window.to - window.from) * fraction, now - window.to);
  return { from: window.from + shift, to: window.to + shift };
}

/** The instant under pixel `x` of a plot spanning `[left, left + width]`, clamped to the window. */
export function timeAtPixel(window: FixedWindow, x: number, left: number, width: number): number {
  const fraction = Math.min(Math.max(x - left, 0), width) / Math.max(1, width);
  return window.from + fraction * (window.to - window.from);
}

/** `datetime-local` text (the viewer's zone, whole seconds) for epoch ms. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Epoch ms of `datetime-local` text (the viewer's zone); null when empty or unreadable. */
export function fromLocalInput(text: string): number | null {
  const ms = new Date(text).getTime();
  return text && Number.isFinite(ms) ? ms : null;
}

/** The window two picker fields name, or null (unreadable, or from ≥ to). */
export function pickedWindow(fromText: string, toText: string): FixedWindow | null {
  const from = fromLocalInput(fromText);
  const to = fromLocalInput(toText);
  return from !== null && to !== null && from < to ? { from, to } : null;
}
