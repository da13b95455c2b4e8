/** Answers shaped exactly as the server sends them (SPEC §5), for routes given to `mockFetch`. */

export interface PointRow {
  ts: string;
  value: number;
  zscore?: number | null;
  mean?: number | null;
  std?: number | null;
}

/** GET /metrics/{metric}/series; `alerts` are `{ts, value, zscore}`. */
export function seriesBody(
  metric: string,
  points: readonly PointRow[],
  alerts: readonly { ts: string; value: number; zscore: number | null }[] = [],
  window: { from: string; to: string } = { from: points[0]?.ts ?? '2025-09-27T00:00:00.000Z', to: points[points.length - 1]?.ts ?? '2025-09-27T01:00:00.000Z' },
) {
  return {
    metric,
    from: window.from,
    to: window.to,
    points: points.map((point) => ({ ts: point.ts, value: point.value, zscore: point.zscore ?? null, mean: point.mean ?? null, std: point.std ?? null })),
    alerts: [...alerts],
    downsampled: false,
  };
}

/** One row of GET /metrics. */
export function catalogRow(metric: string, lastValue: number, lastTs: string, extra: { simulated?: boolean; unit?: string | null; label?: string | null; decimals?: number | null } = {}) {
  return {
    metric,
    last_value: lastValue,
    last_ts: lastTs,
    simulated: extra.simulated ?? false,
    unit: extra.unit ?? null,
    label: extra.label ?? null,
    decimals: extra.decimals ?? null,
  };
}

/** One row of GET /alerts. */
export function alertRow(metric: string, ts: string, value: number, zscore: number | null) {
  return { metric, value, ts, zscore, mean: 100, std: 2, n: 300 };
}
