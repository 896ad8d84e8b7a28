/**
 * Option validation with one message style: `Invalid option \`name\`: expected <range>, got <value>.`
 * Every check throws `WSPOOL_ERR_INVALID_CONFIG` synchronously, naming the field and the accepted range.
 */
import { invalidConfig, type WsPoolError } from '../errors.js';

/** An integer in `[min, max]`; `Infinity` accepted when `allowInfinity`. */
export function checkInteger(
  field: string,
  value: unknown,
  min: number,
  { allowInfinity = false, max = Number.MAX_SAFE_INTEGER }: { allowInfinity?: boolean; max?: number } = {},
): number {
  if (typeof value === 'number' && value === Infinity && allowInfinity) return value;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const upper = allowInfinity ? ' or Infinity' : max === Number.MAX_SAFE_INTEGER ? '' : ` up to ${max}`;
    throw invalidConfig(field, `an integer >= ${min}${upper}`, value);
  }
  return value;
}

/** A duration in ms: a finite number `> 0` (or `>= 0` when `allowZero`), or `Infinity` when `allowInfinity`. */
export function checkDuration(
  field: string,
  value: unknown,
  { allowZero = false, allowInfinity = false }: { allowZero?: boolean; allowInfinity?: boolean } = {},
): number {
  const ok =
    typeof value === 'number' &&
    !Number.isNaN(value) &&
    (allowZero ? value >= 0 : value > 0) &&
    (allowInfinity || Number.isFinite(value));
  if (!ok) {
    const range = `${allowZero ? 'a number of ms >= 0' : 'a number of ms > 0'}${allowInfinity ? ' or Infinity' : ''}`;
    throw invalidConfig(field, range, value);
  }
  return value;
}

/**
 * The error for bad per-call options `{ signal?, timeout? }` (of `acquire()`, `request()`), or
 * `undefined` when they are fine: an object, `timeout` a number of ms `> 0` (`>= 0` when
 * `allowZero`) or `Infinity`, `signal` an `AbortSignal`. Returned, not thrown: the calls reject.
 */
export function invalidCallOptions(options: unknown, allowZero: boolean): WsPoolError | undefined {
  if (typeof options !== 'object' || options === null) return invalidConfig('options', 'an object', options);
  const { timeout, signal } = options as { timeout?: unknown; signal?: unknown };
  if (timeout !== undefined && !(typeof timeout === 'number' && (allowZero ? timeout >= 0 : timeout > 0))) {
    return invalidConfig('timeout', `a number of ms ${allowZero ? '>=' : '>'} 0 or Infinity`, timeout);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    return invalidConfig('signal', 'an AbortSignal', signal);
  }
  return undefined;
}

/** A boolean. */
export function checkBoolean(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalidConfig(field, 'a boolean', value);
  return value;
}

/** A function, or `undefined`. */
export function checkOptionalFunction<F>(field: string, value: unknown): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw invalidConfig(field, 'a function', value);
  return value as F;
}

/** A plain object, or `undefined`. */
export function checkOptionalObject<O extends object>(field: string, value: unknown): O | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidConfig(field, 'an object', value);
  return value as O;
}

/** Reject keys that are not options: a typo (`maxConn`) must not be silently ignored. */
export function checkKnownKeys(where: string, options: object, known: ReadonlySet<string>): void {
  for (const key of Object.keys(options)) {
    if (!known.has(key)) {
      throw invalidConfig(key, `one of the ${where} options (${[...known].join(', ')})`, 'an unknown option');
    }
  }
}
