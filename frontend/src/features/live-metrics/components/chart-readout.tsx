import { useActiveTooltipLabel, useIsTooltipActive, usePlotArea, useXAxisScale, useYAxisScale } from 'recharts';
import type { MetricMeta } from '@/lib/metric-format';
import { ChartTooltip, type TooltipRow } from './chart-tooltip';

const BOX_WIDTH = 210;
const BOX_HEIGHT = 140;

/** The row whose ts is `ts` (rows are in time order). */
function findRow<T extends { ts: number }>(rows: readonly T[], ts: number): T | undefined {
  let lo = 0;
  let hi = rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const at = rows[mid]!.ts;
    if (at === ts) return rows[mid];
    if (at < ts) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/**
 * The point under the pointer (or picked with the arrow keys: Recharts' accessibility layer moves
 * the same active point), read from Recharts' tooltip state: a cursor line, a dot and a box with
 * time, value with unit, z, the baseline μ ± σ and the state. It takes the place of Recharts' Tooltip, which shows nothing
 * without a Recharts Line and would add ~8 kB of compressed JS to the first screen.
 */
export function ChartReadout({ rows, meta, colors }: { rows: readonly TooltipRow[]; meta: MetricMeta; colors: { cursor: string; dot: string; bg: string; text: string } }) {
  const active = useIsTooltipActive();
  const label = useActiveTooltipLabel();
  const area = usePlotArea();
  const x = useXAxisScale();
  const y = useYAxisScale();
  if (!active || label === undefined || !area || !x || !y) return null;
  const row = findRow(rows, Number(label));
  if (!row || row.value === null) return null;
  const px = x(row.ts);
  const py = y(row.value);
  if (px === undefined || py === undefined) return null;
  const left = px + 12 + BOX_WIDTH > area.x + area.width ? px - 12 - BOX_WIDTH : px + 12;
  return (
    <g pointerEvents="none" data-layer="readout">
      <line x1={px} x2={px} y1={area.y} y2={area.y + area.height} stroke={colors.cursor} strokeDasharray="3 3" />
      <circle cx={px} cy={py} r={5} fill={colors.dot} stroke={colors.bg} strokeWidth={2} />
      <foreignObject x={Math.max(area.x, left)} y={area.y + 4} width={BOX_WIDTH} height={BOX_HEIGHT}>
        <div className="chart-readout" style={{ background: colors.bg, color: colors.text }} data-testid="chart-readout">
          <ChartTooltip row={{ ...row, value: row.value }} meta={meta} />
        </div>
      </foreignObject>
    </g>
  );
}
