/** Locale-aware formatting; one set of Intl formatters per locale, built once. */

export interface Formatters {
  locale: string;
  /** A metric value: up to 2 decimals under 1,000, compact-free and grouped. */
  number: (value: number | null | undefined) => string;
  /** A z-score: signed, 2 decimals. */
  zscore: (value: number | null | undefined) => string;
  /** A count of things. */
  integer: (value: number) => string;
  /** Date and time, for feeds and banners. */
  dateTime: (ms: number) => string;
  /** Time of day, with seconds. */
  time: (ms: number) => string;
  /** Time for chart ticks: seconds for short ranges, hours and minutes otherwise. */
  tick: (ms: number, spanMs: number) => string;
  /** "3 minutes ago" / "hace 3 minutos". */
  relative: (ms: number, now?: number) => string;
}

const DASH = '—';
const cache = new Map<string, Formatters>();

/**
 * `hourCycle` is the viewer's clock (from their browser's locale), which may differ from the
 * language's: English text for a de-DE browser keeps 24-hour times.
 */
export function getFormatters(locale: string, timeZone?: string, hourCycle?: Intl.DateTimeFormatOptions['hourCycle']): Formatters {
  const cacheKey = `${locale}|${timeZone ?? ''}|${hourCycle ?? ''}`;
  const hit = cache.get(cacheKey);
  if (hit) return hit;

  const tz: Intl.DateTimeFormatOptions = { ...(timeZone ? { timeZone } : {}), ...(hourCycle ? { hourCycle } : {}) };
  const big = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const mid = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
  const small = new Intl.NumberFormat(locale, { maximumSignificantDigits: 4 });
  const z = new Intl.NumberFormat(locale, {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
    signDisplay: 'exceptZero',
  });
  const integer = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium', ...tz });
  const time = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit', ...tz });
  const hm = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', ...tz });
  const rel = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });

  const formatters: Formatters = {
    locale,
    number: (value) => {
      if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
      const abs = Math.abs(value);
      if (abs >= 10_000) return big.format(value);
      if (abs >= 1 || abs === 0) return mid.format(value);
      return small.format(value);
    },
    zscore: (value) => (value === null || value === undefined || !Number.isFinite(value) ? DASH : z.format(value)),
    integer: (value) => integer.format(value),
    dateTime: (ms) => dateTime.format(ms),
    time: (ms) => time.format(ms),
    tick: (ms, spanMs) => (spanMs <= 20 * 60_000 ? time.format(ms) : hm.format(ms)),
    relative: (ms, now = Date.now()) => {
      const seconds = Math.round((ms - now) / 1000);
      const abs = Math.abs(seconds);
      if (abs < 60) return rel.format(seconds, 'second');
      if (abs < 3600) return rel.format(Math.round(seconds / 60), 'minute');
      if (abs < 86_400) return rel.format(Math.round(seconds / 3600), 'hour');
      return rel.format(Math.round(seconds / 86_400), 'day');
    },
  };
  cache.set(cacheKey, formatters);
  return formatters;
}
