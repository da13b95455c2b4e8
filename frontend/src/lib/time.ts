/** Timestamps on the wire are RFC 3339 (UTC, `Z`); an epoch number is seconds. */

const OFFSET = /([zZ]|[+-]\d{2}:?\d{2})$/;

/** Parse an RFC 3339 string or epoch seconds to epoch milliseconds; null when unreadable. */
export function parseTimestamp(input: unknown): number | null {
  if (typeof input === 'number') return Number.isFinite(input) ? input * 1000 : null;
  if (typeof input !== 'string' || input.length < 10) return null;
  let text = input.trim().replace(' ', 'T');
  // Date.parse is only specified for up to 3 fractional digits; the server may send 6.
  text = text.replace(/(\.\d{3})\d+/, '$1');
  if (text.length > 10 && !OFFSET.test(text)) text += 'Z';
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

/** Epoch milliseconds to the wire format (`2025-09-27T02:33:11.250Z`). */
export function toRfc3339(ms: number): string {
  return new Date(ms).toISOString();
}
