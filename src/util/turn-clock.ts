/**
 * A clock read at most once per event-loop turn.
 *
 * Reading the wall clock costs ~40 ns in a tight loop, but on a busy pool's hot path each read
 * costs several times that (the time-stamp counter read stalls the code around it): four reads
 * per exclusive round trip were ~3% of its throughput. A pool only needs millisecond timestamps
 * for idle times, lifetimes and wait statistics, so the first read in a turn is reused until the
 * turn ends, the way libuv caches its loop time for Node's own timers.
 *
 * Staleness is bounded two ways: the value expires when the turn ends (`queueExpiry`, a
 * referenced `setImmediate` in production, see clock.ts), and after `reuses` uses within one
 * turn, so a long run of microtasks that never yields to the event loop still reads the clock
 * every few operations. What is left is the length of one synchronous stretch of work.
 *
 * @module
 */

/** What a turn clock is built from. */
export interface TurnClockParts {
  /** Reads the underlying clock. */
  read: () => number;
  /** Runs `expire` once the current event-loop turn is over. */
  queueExpiry: (expire: () => void) => void;
  /** How many times one read may be reused before the clock is read again. */
  reuses: number;
}

/** Returns a `now()` that reads `parts.read` at most once per turn (and per `reuses` calls). */
export function createTurnClock(parts: TurnClockParts): () => number {
  const { read, queueExpiry, reuses } = parts;
  let cached = 0;
  let left = 0; // reuses left for `cached`; 0 = read the clock
  let queued = false;
  const expire = (): void => {
    left = 0;
    queued = false;
  };
  return () => {
    if (left > 0) {
      left--;
      return cached;
    }
    cached = read();
    left = reuses;
    if (!queued) {
      queued = true;
      queueExpiry(expire);
    }
    return cached;
  };
}
