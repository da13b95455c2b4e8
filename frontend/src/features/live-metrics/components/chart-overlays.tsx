import { useEffect } from 'react';
import { usePlotArea, useXAxisScale, useYAxisScale } from 'recharts';

/**
 * Cheap layers drawn inside a Recharts chart with its own scales: one SVG path each,
 * however many points. Recharts' Scatter/Area build a component per point or segment, which
 * cost more per live update than the rest of the chart together.
 */

export interface BandRow {
  ts: number;
  band: [number, number] | null;
}

/** The μ ± kσ band: one closed path per run of points that carry a baseline. */
export function BandLayer({ rows, fill, opacity }: { rows: readonly BandRow[]; fill: string; opacity: number }) {
  const x = useXAxisScale();
  const y = useYAxisScale();
  if (!x || !y) return null;
  let d = '';
  let upper: string[] = [];
  let lower: string[] = [];
  const flush = () => {
    if (upper.length > 1) d += `M${upper.join('L')}L${lower.reverse().join('L')}Z`;
    upper = [];
    lower = [];
  };
  for (const row of rows) {
    if (!row.band) {
      flush();
      continue;
    }
    const px = x(row.ts);
    const hi = y(row.band[1]);
    const lo = y(row.band[0]);
    if (px === undefined || hi === undefined || lo === undefined) continue;
    upper.push(`${px.toFixed(1)},${hi.toFixed(1)}`);
    lower.push(`${px.toFixed(1)},${lo.toFixed(1)}`);
  }
  flush();
  return d ? <path d={d} fill={fill} fillOpacity={opacity} stroke="none" pointerEvents="none" data-layer="band" /> : null;
}

/**
 * The value line: one path, broken wherever a value is missing (not finite). Recharts' Line
 * costs ~16 kB of compressed JS on the first screen and a component per segment; this is a
 * path `d` built in one pass.
 */
export function LinePath({ rows, stroke, width = 2 }: { rows: readonly { ts: number; value: number | null }[]; stroke: string; width?: number }) {
  const x = useXAxisScale();
  const y = useYAxisScale();
  if (!x || !y) return null;
  let d = '';
  let pen = 'M';
  for (const row of rows) {
    const px = row.value === null || !Number.isFinite(row.value) ? undefined : x(row.ts);
    const py = px === undefined ? undefined : y(row.value!);
    if (px === undefined || py === undefined) {
      pen = 'M';
      continue;
    }
    d += `${pen}${px.toFixed(1)},${py.toFixed(1)}`;
    pen = 'L';
  }
  return d ? (
    <path d={d} fill="none" stroke={stroke} strokeWidth={width} strokeLinejoin="round" strokeLinecap="round" data-layer="line" />
  ) : null;
}

/** Calls `onDrawn` once the chart has a plot area, i.e. once its SVG is on the screen. */
export function DrawnSignal({ onDrawn }: { onDrawn: () => void }) {
  const area = usePlotArea();
  // Recharts renders no SVG until the chart has a size.
  const drawn = area !== undefined && area.width > 0 && area.height > 0;
  useEffect(() => {
    if (drawn) onDrawn();
  }, [drawn, onDrawn]);
  return null;
}

/** Alert points as dots: one path of circles. */
export function AlertMarks({ points, fill, stroke, radius = 5 }: { points: readonly { ts: number; value: number }[]; fill: string; stroke: string; radius?: number }) {
  const x = useXAxisScale();
  const y = useYAxisScale();
  if (!x || !y || !points.length) return null;
  let d = '';
  for (const point of points) {
    const px = x(point.ts);
    const py = y(point.value);
    if (px === undefined || py === undefined) continue;
    // A circle as two arcs.
    d += `M${(px - radius).toFixed(1)},${py.toFixed(1)}a${radius},${radius} 0 1,0 ${radius * 2},0a${radius},${radius} 0 1,0 ${-radius * 2},0`;
  }
  return <path d={d} fill={fill} stroke={stroke} strokeWidth={1.5} data-layer="alerts" data-count={points.length} />;
}

/**
 * Vertical dashed lines across the plot, labelled above it. Recharts' ReferenceLine registers
 * itself in the chart's store and re-registers whenever its value moves (each new baseline).
 */
export function ThresholdLines({ lines, stroke }: { lines: readonly { x: number; label: string }[]; stroke: string }) {
  const x = useXAxisScale();
  const area = usePlotArea();
  if (!x || !area || !lines.length) return null;
  return (
    <g data-layer="thresholds" pointerEvents="none">
      {lines.map((line) => {
        const px = x(line.x);
        if (px === undefined) return null;
        return (
          <g key={line.label}>
            <line x1={px} x2={px} y1={area.y} y2={area.y + area.height} stroke={stroke} strokeWidth={2} strokeDasharray="6 4" />
            <text x={px} y={area.y - 4} textAnchor="middle" fill={stroke} fontSize={12}>
              {line.label}
            </text>
          </g>
        );
      })}
    </g>
  );
}
