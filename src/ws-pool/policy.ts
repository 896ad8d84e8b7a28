/**
 * Pure pool policy: no sockets, no timers, unit-tested on numbers alone.
 */

/** Lifetime of one connection, with its jitter drawn once at creation (`random` in [0, 1)). */
export function connectionExpiry(
  createdAt: number,
  lifetime: number,
  jitter: number,
  random: number,
): number {
  return createdAt + lifetime + jitter * random;
}

/** Past its lifetime? */
export function isExpired(expiresAt: number, now: number): boolean {
  return now >= expiresAt;
}

/** Idle too long, and may be closed without dropping below `minConns`? */
export function isIdleExpired(idleMs: number, maxIdle: number, openConns: number, minConns: number): boolean {
  return idleMs > maxIdle && openConns > minConns;
}

/** Should a connection idle for `idleMs` be pinged before use (`0` always, `Infinity` never)? */
export function shouldPing(idleMs: number, pingIdleAfter: number): boolean {
  return pingIdleAfter !== Infinity && idleMs >= pingIdleAfter;
}

/**
 * Delay before refill attempt number `failures` (1-based) after consecutive failed dials:
 * exponential from `base`, capped at `cap`, with "equal jitter" (half fixed, half random) so pools
 * restarted together do not dial in lock step against a server that is coming back.
 */
export function refillBackoff(failures: number, random: number, base = 100, cap = 30_000): number {
  const exp = Math.min(cap, base * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  return exp / 2 + (exp / 2) * random;
}
