import { useCallback, useMemo, useRef } from 'react';
import type { TimeRange } from '@/lib/time-range';
import { panBy, readWindow, windowOf, writeWindow, zoomTo, type FixedWindow, type ShownWindow } from '@/lib/time-window';
import { navigate, useLocation } from '@/lib/url-state';

export interface TimeWindow extends ShownWindow {
  /** The fixed window (same identity while it holds), or null while following live. */
  fixed: FixedWindow | null;
  /** Show a fixed window (a custom from/to), or the preset again with null. */
  setFixed: (window: FixedWindow | null) => void;
  /** Zoom to the span between two instants, in either order. */
  zoom: (a: number, b: number) => void;
  /** Move the window by a fraction of its width (negative: earlier), never past now. */
  pan: (fraction: number) => void;
  /** Back to the preset, following live. */
  reset: () => void;
}

/**
 * The window on screen, kept in the URL (`from`/`to`; none: the preset ending now, following
 * live). `frozen` (a snapshot) gives a window that neither the URL nor the controls move.
 */
export function useTimeWindow(range: TimeRange, options: { frozen?: FixedWindow | null; now?: () => number } = {}): TimeWindow {
  const { search } = useLocation();
  const { frozen, now = Date.now } = options;
  const fromUrl = readWindow(search);
  const fromKey = frozen === undefined ? (fromUrl ? `${fromUrl.from}-${fromUrl.to}` : '') : null;
  // One object per window (the key names it), so effects and memoised charts run once per change.
  const fixed = useMemo(() => (frozen === undefined ? fromUrl : frozen), [fromKey, frozen]);
  const editable = frozen === undefined;
  // The live window ends now: it moves with each render (as points stream in).
  const shown = windowOf(range, fixed, now());

  const setFixed = useCallback(
    (window: FixedWindow | null) => {
      if (!editable) return;
      const params = writeWindow(new URLSearchParams(globalThis.location.search), window);
      // Metric lists (`metrics=a,b`) keep their commas readable.
      const text = params.toString().replace(/%2C/g, ',');
      navigate(`${globalThis.location.pathname}${text ? `?${text}` : ''}`);
    },
    [editable],
  );
  const zoom = useCallback((a: number, b: number) => setFixed(zoomTo(a, b)), [setFixed]);
  // Read through a ref: `pan` keeps its identity while a live window slides.
  const current = useRef(shown);
  current.current = shown;
  const pan = useCallback((fraction: number) => setFixed(panBy(current.current, fraction, now())), [setFixed, now]);
  const reset = useCallback(() => setFixed(null), [setFixed]);
  return { ...shown, fixed, setFixed, zoom, pan, reset };
}
