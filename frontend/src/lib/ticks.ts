/**
 * Axis ticks computed up front. Handing Recharts explicit ticks with `interval={0}` spares it
 * measuring every label in the DOM to avoid collisions, which forced a layout on each update.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const TIME_STEPS = [
  SECOND, 2 * SECOND, 5 * SECOND, 10 * SECOND, 15 * SECOND, 30 * SECOND,
  MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE,
  HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, 24 * HOUR,
];

/** Round times in [start, end], at most `maxTicks`, aligned to the step in local time. */
export function timeTicks(start: number, end: number, maxTicks: number): number[] {
  if (!(end > start) || maxTicks < 1) return [];
  const span = end - start;
  const step = TIME_STEPS.find((candidate) => span / candidate <= maxTicks) ?? TIME_STEPS[TIME_STEPS.length - 1]!;
  // Align to the local clock (minutes and hours on the wall clock, not UTC offsets).
  const offset = new Date(start).getTimezoneOffset() * MINUTE;
  let tick = Math.ceil((start - offset) / step) * step + offset;
  const ticks: number[] = [];
  for (; tick <= end; tick += step) ticks.push(tick);
  return ticks;
}

/** A domain widened to round steps (1, 2, 2.5 or 5 × 10ⁿ) and its ticks, about `count` of them. */
export function niceScale(min: number, max: number, count = 5): { domain: [number, number]; ticks: number[] } {
  const span = max - min || Math.abs(max) || 1;
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
  const lo = Math.floor(min / step) * step;
  const hi = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  // Rounded to the step's precision so labels read 0.3, not 0.30000000000000004.
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  for (let value = lo; value <= hi + step / 2; value += step) ticks.push(Number(value.toFixed(digits)));
  return { domain: [lo, hi === lo ? lo + step : hi], ticks };
}
