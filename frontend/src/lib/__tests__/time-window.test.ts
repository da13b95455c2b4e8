// @vitest-environment node
import { describe, expect, it } from 'vitest';
import {
  fromLocalInput,
  MIN_SPAN_MS,
  panBy,
  parseWindow,
  pickedWindow,
  readWindow,
  resetToPreset,
  timeAtPixel,
  toLocalInput,
  windowOf,
  writeWindow,
  zoomTo,
} from '../time-window';

describe('the window in the URL', () => {
  it('round-trips as RFC 3339, keeping the other parameters', () => {
    const params = writeWindow(new URLSearchParams('metric=cpu&range=1h'), { from: 1000, to: 61_000 });
    expect(params.toString()).toBe('metric=cpu&range=1h&from=1970-01-01T00%3A00%3A01.000Z&to=1970-01-01T00%3A01%3A01.000Z');
    expect(readWindow(`?${params}`)).toEqual({ from: 1000, to: 61_000 });
    expect(readWindow(params)).toEqual({ from: 1000, to: 61_000 });
  });
  it('removes the window for the preset', () => {
    const params = writeWindow(new URLSearchParams('metric=cpu&from=a&to=b'), null);
    expect(params.toString()).toBe('metric=cpu');
  });
  it('reads offsets and epoch seconds, and nothing without both ends or with from ≥ to', () => {
    expect(readWindow('?from=2025-01-01T01:00:00%2B01:00&to=2025-01-01T00:00:01Z')).toEqual({
      from: Date.parse('2025-01-01T00:00:00Z'),
      to: Date.parse('2025-01-01T00:00:01Z'),
    });
    expect(parseWindow(10, 20)).toEqual({ from: 10_000, to: 20_000 });
    expect(readWindow('?from=2025-01-01T00:00:00Z')).toBeNull();
    expect(readWindow('?from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z')).toBeNull();
    expect(readWindow('?from=2025-01-01T00:00:00Z&to=2025-01-01T00:00:00Z')).toBeNull();
    expect(readWindow('?from=soon&to=later')).toBeNull();
  });
});

describe('the window on screen', () => {
  it('follows live without a fixed window, and not with one', () => {
    expect(windowOf('5m', null, 600_000)).toEqual({ from: 300_000, to: 600_000, live: true });
    expect(windowOf('5m', { from: 1, to: 2 }, 600_000)).toEqual({ from: 1, to: 2, live: false });
  });
  it('resets to the preset ending now', () => {
    expect(resetToPreset('1h', 4_000_000)).toEqual({ from: 400_000, to: 4_000_000, live: true });
  });
});

describe('zoom and pan', () => {
  it('zooms to the dragged span in either direction, never narrower than the minimum', () => {
    expect(zoomTo(5000, 2000)).toEqual({ from: 2000, to: 5000 });
    const tiny = zoomTo(10_000, 10_100);
    expect(tiny.to - tiny.from).toBe(MIN_SPAN_MS);
    expect((tiny.from + tiny.to) / 2).toBe(10_050);
  });
  it('pans by a fraction of the window and never past now', () => {
    expect(panBy({ from: 1000, to: 2000 }, -0.25, 10_000)).toEqual({ from: 750, to: 1750 });
    expect(panBy({ from: 1000, to: 2000 }, 0.5, 2200)).toEqual({ from: 1200, to: 2200 });
  });
  it('maps a pixel of the plot to its instant, clamped to the window', () => {
    const window = { from: 1000, to: 2000 };
    expect(timeAtPixel(window, 150, 100, 200)).toBe(1250);
    expect(timeAtPixel(window, 0, 100, 200)).toBe(1000);
    expect(timeAtPixel(window, 999, 100, 200)).toBe(2000);
  });
});

describe('the custom from/to picker', () => {
  it('round-trips datetime-local text in the viewer zone, to whole seconds', () => {
    const ms = new Date(2025, 0, 2, 3, 4, 5).getTime();
    expect(toLocalInput(ms + 400)).toBe('2025-01-02T03:04:05');
    expect(fromLocalInput('2025-01-02T03:04:05')).toBe(ms);
    expect(fromLocalInput('')).toBeNull();
    expect(fromLocalInput('not a time')).toBeNull();
  });
  it('gives a window only when both read and from is before to', () => {
    const from = new Date(2025, 0, 2, 3, 4, 5).getTime();
    expect(pickedWindow('2025-01-02T03:04:05', '2025-01-02T03:04:15')).toEqual({ from, to: from + 10_000 });
    expect(pickedWindow('2025-01-02T03:04:15', '2025-01-02T03:04:05')).toBeNull();
    expect(pickedWindow('2025-01-02T03:04:05', '')).toBeNull();
  });
});
