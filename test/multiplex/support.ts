// Shared fixtures of the multiplexed pool suite: waits that turn the real event loop (so they work
// under fake timers), outcome tracking that never leaves a rejection unhandled, a jar that closes
// every pool a test made, and the leak check on the pending-request structures.
import { expect } from 'vitest';
import { kPendingSizes } from '../../src/multiplex/multiplex-pool.js';

export {
  gate,
  track,
  turn,
  turns,
  until,
  useFakeClock,
  within,
  wsErrorOf,
  type Gate,
  type Outcome,
} from '../helpers/async.js';
export { useSuiteServer } from '../helpers/suite.js';

interface Closable {
  close(): Promise<void>;
}

/** Pools a test made; `closeAll()` in `afterEach` so a failing test leaks nothing into the next. */
export class PoolJar {
  readonly #pools: Closable[] = [];

  add<P extends Closable>(pool: P): P {
    this.#pools.push(pool);
    return pool;
  }

  async closeAll(): Promise<void> {
    const pools = this.#pools.splice(0);
    await Promise.all(pools.map((pool) => pool.close()));
  }
}

/** The sizes of a pool's pending structures (id map, deadline lanes, queue). */
export function pendingSizes(pool: object): { inFlight: number; deadlines: number; queued: number } {
  return (pool as { [kPendingSizes](): { inFlight: number; deadlines: number; queued: number } })[
    kPendingSizes
  ]();
}

/** Every pending structure of `pool` is empty: nothing leaked. */
export function expectNothingPending(pool: object): void {
  expect(pendingSizes(pool)).toEqual({ inFlight: 0, deadlines: 0, queued: 0 });
}
