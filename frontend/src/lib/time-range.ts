/** The time ranges the dashboard offers, by their URL token. */
export const TIME_RANGES = ['5m', '15m', '1h', '6h', '24h'] as const;
export type TimeRange = (typeof TIME_RANGES)[number];
export const DEFAULT_RANGE: TimeRange = '15m';

const MINUTES: Record<TimeRange, number> = { '5m': 5, '15m': 15, '1h': 60, '6h': 360, '24h': 1440 };

export function isTimeRange(value: unknown): value is TimeRange {
  return typeof value === 'string' && (TIME_RANGES as readonly string[]).includes(value);
}

export function rangeMinutes(range: TimeRange): number {
  return MINUTES[range];
}

export function rangeMs(range: TimeRange): number {
  return MINUTES[range] * 60_000;
}

export function rangeHours(range: TimeRange): number {
  return MINUTES[range] / 60;
}

/** `hours=` as the API takes it: short and exact enough (5 min → 0.083333). */
export function hoursParam(range: TimeRange): string {
  return String(Number(rangeHours(range).toFixed(6)));
}

/** The offered range closest to a number of hours (a snapshot stores `timeRangeHours`). */
export function rangeFromHours(hours: unknown): TimeRange | null {
  if (typeof hours !== 'number' || !Number.isFinite(hours) || hours <= 0) return null;
  let best: TimeRange = TIME_RANGES[0];
  for (const range of TIME_RANGES) {
    if (Math.abs(Math.log(rangeHours(range) / hours)) < Math.abs(Math.log(rangeHours(best) / hours))) {
      best = range;
    }
  }
  return best;
}
