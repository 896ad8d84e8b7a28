/**
 * Option validation with one message style: `Invalid option \`name\`: expected <range>, got <value>.`
 * Every check throws `WSPOOL_ERR_INVALID_CONFIG` synchronously, naming the field and the accepted range.
 */
import { WsPoolError, invalidConfig } from '../errors.js';

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

/**
 * Reject keys that are not options: a typo (`maxConn`) must not be silently ignored. The message
 * suggests the closest option name (`did you mean \`maxConns\`?`), else lists them all.
 * `where` names the option set (`connect`, `pool`, `multiplexed pool`, `tls`).
 */
export function checkKnownKeys(where: string, options: object, known: ReadonlySet<string>): void {
  for (const key of Object.keys(options)) {
    if (known.has(key)) continue;
    const guess = closestName(key, known);
    throw new WsPoolError(
      'WSPOOL_ERR_INVALID_CONFIG',
      guess === undefined
        ? `Unknown ${where} option \`${key}\`; the ${where} options are: ${[...known].join(', ')}.`
        : `Unknown ${where} option \`${key}\`: did you mean \`${guess}\`?`,
    );
  }
}

/**
 * The name in `names` closest to `typed` by edit distance (case ignored, a swap of neighbours
 * counting as one edit), if it is close enough to be a typo of it: at most a third of its length.
 */
export function closestName(typed: string, names: Iterable<string>): string | undefined {
  const a = typed.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(a.length / 3)) + 1;
  for (const name of names) {
    const d = editDistance(a, name.toLowerCase());
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
function editDistance(a: string, b: string): number {
  // Three rows of the dynamic-programming table: option names are short, so this is cheap.
  let before = new Array<number>(b.length + 1).fill(0);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = new Array<number>(b.length + 1);
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, before[j - 2]! + 1);
      row[j] = d;
    }
    before = prev;
    prev = row;
  }
  return prev[b.length]!;
}
