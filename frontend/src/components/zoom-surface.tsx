import { useRef, useState, type HTMLAttributes, type KeyboardEvent, type PointerEvent, type ReactNode } from 'react';
import { timeAtPixel, type FixedWindow } from '@/lib/time-window';
import './time-controls.css';

/** A drag shorter than this (pixels) is a click, not a zoom. */
const MIN_DRAG_PX = 6;

export interface ZoomSurfaceProps extends Omit<HTMLAttributes<HTMLDivElement>, 'onKeyDown' | 'onDoubleClick'> {
  /** The window the chart inside shows, across its plot area. */
  window: FixedWindow;
  /** Pixels between the surface's border box and the chart's plot area (axes, margins, padding). */
  plotInsets: { left: number; right: number };
  onZoom: (a: number, b: number) => void;
  onPan: (fraction: number) => void;
  onReset: () => void;
  children: ReactNode;
}

/**
 * Time gestures over a chart: drag to select and zoom, shift-drag or ← → to pan, double-click
 * (or Esc, Home) to reset to the preset. The drag is tracked in pixels outside the chart, whose
 * redraws stay for data.
 */
export function ZoomSurface({ window, plotInsets, onZoom, onPan, onReset, children, className, ...rest }: ZoomSurfaceProps) {
  const [drag, setDrag] = useState<{ a: number; b: number; pan: boolean } | null>(null);
  const box = useRef<HTMLDivElement>(null);

  const plot = () => {
    const rect = box.current!.getBoundingClientRect();
    const left = rect.left + plotInsets.left;
    return { rect, left, width: Math.max(1, rect.right - plotInsets.right - left) };
  };
  const timeAt = (x: number) => {
    const { left, width } = plot();
    return timeAtPixel(window, x, left, width);
  };
  const onPointerDown = (event: PointerEvent) => {
    if (event.button !== 0) return;
    event.currentTarget.setPointerCapture?.(event.pointerId);
    setDrag({ a: event.clientX, b: event.clientX, pan: event.shiftKey });
  };
  const onPointerMove = (event: PointerEvent) => {
    if (drag) setDrag({ ...drag, b: event.clientX });
  };
  const onPointerUp = (event: PointerEvent) => {
    if (!drag) return;
    setDrag(null);
    const b = event.clientX;
    if (Math.abs(b - drag.a) < MIN_DRAG_PX) return;
    if (drag.pan) onPan((drag.a - b) / plot().width);
    else onZoom(timeAt(drag.a), timeAt(b));
  };
  const onKey = (event: KeyboardEvent) => {
    // Only on the surface itself: a chart inside may move its own readout with the arrows.
    if (event.target !== event.currentTarget) return;
    if (event.key === 'ArrowLeft') onPan(-0.25);
    else if (event.key === 'ArrowRight') onPan(0.25);
    else if (event.key === 'Escape' || event.key === 'Home') onReset();
    else return;
    event.preventDefault();
  };

  return (
    <div
      {...rest}
      className={`zoom-surface${className ? ` ${className}` : ''}`}
      tabIndex={0}
      ref={box}
      onKeyDown={onKey}
      onDoubleClick={onReset}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={() => setDrag(null)}
    >
      {drag && !drag.pan && Math.abs(drag.b - drag.a) >= MIN_DRAG_PX ? (
        <div
          className="zoom-selection"
          data-testid="zoom-selection"
          style={{ left: Math.min(drag.a, drag.b) - plot().rect.left, width: Math.abs(drag.b - drag.a) }}
        />
      ) : null}
      {children}
    </div>
  );
}
