/**
 * Strict reading of what the server sends (SPEC §5, §6, §10): an object must have exactly the
 * keys the contract names, each of the type it names. A missing or unknown key or a wrong type is
 * a `ContractError` saying where, so drift between the backend and the dashboard fails loudly
 * instead of drawing something half-read. HTTP answers throw it (the request fails); socket
 * messages are dropped with a console error (`readMessage`), the socket carrying on.
 */
import { isRecord } from './api-client';
import { parseTimestamp } from './time';

export class ContractError extends Error {
  constructor(where: string, problem: string) {
    super(`${where}: ${problem}`);
    this.name = 'ContractError';
  }
}

/** `value` as an object with every `required` key and no key outside `required` and `optional`. */
export function fields(
  value: unknown,
  where: string,
  required: readonly string[],
  optional: readonly string[] = [],
): Record<string, unknown> {
  if (!isRecord(value)) throw new ContractError(where, 'expected an object');
  for (const key of required) {
    if (!(key in value)) throw new ContractError(where, `missing "${key}"`);
  }
  for (const key of Object.keys(value)) {
    if (!required.includes(key) && !optional.includes(key)) throw new ContractError(where, `unknown field "${key}"`);
  }
  return value;
}

/** An object whose keys are data (metric names, a saved state), not contract fields. */
export function object(value: unknown, where: string): Record<string, unknown> {
  if (!isRecord(value)) throw new ContractError(where, 'expected an object');
  return value;
}

export function list(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new ContractError(where, 'expected a list');
  return value;
}

export function text(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new ContractError(where, 'expected a string');
  return value;
}

export function textOrNull(value: unknown, where: string): string | null {
  return value === null ? null : text(value, where);
}

export function flag(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean') throw new ContractError(where, 'expected true or false');
  return value;
}

export function number(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ContractError(where, 'expected a finite number');
  return value;
}

export function numberOrNull(value: unknown, where: string): number | null {
  return value === null ? null : number(value, where);
}

export function integer(value: unknown, where: string): number {
  if (!Number.isInteger(value)) throw new ContractError(where, 'expected an integer');
  return value as number;
}

/** An RFC 3339 timestamp as epoch ms (the server never sends epoch numbers). */
export function timestamp(value: unknown, where: string): number {
  const ms = typeof value === 'string' ? parseTimestamp(value) : null;
  if (ms === null) throw new ContractError(where, 'expected an RFC 3339 timestamp');
  return ms;
}

/**
 * One socket message (text, or already parsed): `read` returns what it means, or null for a
 * message type that is not its own. A message that breaks the contract is dropped, loudly.
 */
export function readMessage<T>(raw: unknown, read: (body: unknown) => T | null): T | null {
  try {
    let body = raw;
    if (typeof raw === 'string') {
      try {
        body = JSON.parse(raw);
      } catch {
        throw new ContractError('message', 'not JSON');
      }
    }
    return read(body);
  } catch (error) {
    if (!(error instanceof ContractError)) throw error;
    console.error(`dropped a stream message that breaks the contract (${error.message})`, raw);
    return null;
  }
}
