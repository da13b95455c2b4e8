/**
 * Honest display (SPEC §8): where data is missing the line breaks, and a value that stopped
 * arriving is called stale. An interval between two consecutive points is a gap when it is
 * over 3× the median interval of the visible series (and at least 5 s), or when it spans a
 * disconnect that no point was received during.
 */

export const GAP_FACTOR = 3;
export const MIN_GAP_MS = 5_000;

/** [from, to] epoch ms during which the live stream was down. */
export type Outage = readonly [number, number];

/** The median interval between consecutive timestamps (ascending), or null under two points. */
export function medianInterval(ts: readonly number[]): number | null {
  if (ts.length < 2) return null;
  const intervals: number[] = [];
  for (let i = 1; i < ts.length; i++) intervals.push(ts[i]! - ts[i - 1]!);
  intervals.sort((a, b) => a - b);
  const mid = intervals.length >> 1;
  return intervals.length % 2 ? intervals[mid]! : (intervals[mid - 1]! + intervals[mid]!) / 2;
}

/** The longest interval that is still drawn as a line. */
export function gapThreshold(ts: readonly number[]): number {
  const median = medianInterval(ts);
  return Math.max(MIN_GAP_MS, GAP_FACTOR * (median ?? 0));
}

/**
 * Indices i (≥ 1) where the line must break between point i − 1 and point i, for timestamps in
 * ascending order.
 */
export function gapIndices(ts: readonly number[], outages: readonly Outage[] = []): number[] {
  const limit = gapThreshold(ts);
  const out: number[] = [];
  for (let i = 1; i < ts.length; i++) {
    const before = ts[i - 1]!;
    const after = ts[i]!;
    if (after - before > limit || outages.some(([down, up]) => before <= down && after >= up)) out.push(i);
  }
  return out;
}

/** Stale: nothing newer than the gap threshold of the series arrived (so a gap is forming now). */
export function isStale(ts: readonly number[], now: number): boolean {
  if (!ts.length) return false;
  return now - ts[ts.length - 1]! > gapThreshold(ts);
}

/** [before, after] timestamps of each gap of a series (see `gapIndices`). */
export function gapSpans(ts: readonly number[], outages: readonly Outage[] = []): [number, number][] {
  return gapIndices(ts, outages).map((i) => [ts[i - 1]!, ts[i]!]);
}

/**
 * Indices j of a thinned copy of the series (`drawn`, ascending, a subset of the original
 * timestamps) where the line breaks between j − 1 and j: those whose interval holds a gap of the
 * original. Gaps are found on the original series, since thinning widens every interval.
 */
export function breaksIn(drawn: readonly number[], spans: readonly (readonly [number, number])[]): number[] {
  const out: number[] = [];
  let s = 0;
  for (let j = 1; j < drawn.length && s < spans.length; j++) {
    while (s < spans.length && spans[s]![0] < drawn[j - 1]!) s++;
    if (s < spans.length && spans[s]![1] <= drawn[j]!) {
      out.push(j);
      while (s < spans.length && spans[s]![1] <= drawn[j]!) s++;
    }
  }
  return out;
}
