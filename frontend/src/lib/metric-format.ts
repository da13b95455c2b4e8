/** A metric's values as its metadata says (PUT /metrics/{metric}/meta): unit, label, decimals. */
import type { Formatters } from './format';

export interface MetricMeta {
  unit: string | null;
  label: string | null;
  decimals: number | null;
}

export const NO_META: MetricMeta = { unit: null, label: null, decimals: null };

const fixed = new Map<string, Intl.NumberFormat>();

function fixedFormat(locale: string, decimals: number): Intl.NumberFormat {
  const key = `${locale}|${decimals}`;
  let format = fixed.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
    fixed.set(key, format);
  }
  return format;
}

/** The number alone: the metric's decimals when set, else the dashboard's default rounding. */
export function formatNumber(fmt: Formatters, value: number | null | undefined, meta: MetricMeta = NO_META): string {
  if (value === null || value === undefined || !Number.isFinite(value) || meta.decimals === null) return fmt.number(value);
  return fixedFormat(fmt.locale, meta.decimals).format(value);
}

/** The number with its unit ("22.3 °C"); no unit for a missing value. */
export function formatValue(fmt: Formatters, value: number | null | undefined, meta: MetricMeta = NO_META): string {
  const text = formatNumber(fmt, value, meta);
  if (!meta.unit || value === null || value === undefined || !Number.isFinite(value)) return text;
  // "%" sits on the number in most locales; other units after a no-break space.
  return meta.unit === '%' ? `${text}\u00a0%` : `${text}\u00a0${meta.unit}`;
}

/** "Boiler temperature (boiler.temp)", or just the metric name when it has no label. */
export function metricTitle(metric: string, meta: MetricMeta = NO_META): string {
  return meta.label ? `${meta.label} (${metric})` : metric;
}
