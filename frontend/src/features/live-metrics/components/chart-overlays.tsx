import { useXAxisScale, useYAxisScale } from 'recharts';

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
