// Fixtures of the subscription suites: a JsonRpcPool on the subscription server, and reading a
// subscription's next items under a real-time bound (so a hang fails the test instead of freezing it).
import { JsonRpcPool, type JsonRpcPoolConfig } from '../../src/index.js';
import type { Subscription } from '../../src/subscriptions/subscription.js';
import { within } from '../helpers/async.js';
import type { PoolJar } from '../multiplex/support.js';

export { PoolJar, expectNothingPending } from '../multiplex/support.js';
export { until, turns, track, within, wsErrorOf, useFakeClock, rejectionOf } from '../helpers/async.js';

/** A JsonRpcPool with the background check off (tests drive it) unless asked for. */
export function rpcPool(jar: PoolJar, url: string, config: Omit<JsonRpcPoolConfig, 'url'> = {}): JsonRpcPool {
  return jar.add(new JsonRpcPool({ url, healthCheckPeriod: Infinity, ...config }));
}

/** The next `n` items of `sub` (fails after 5 s of real time). */
export async function take<T>(sub: Subscription<T>, n: number, ms = 5_000): Promise<T[]> {
  const out: T[] = [];
  const reading = (async () => {
    while (out.length < n) {
      const result = await sub.next();
      if (result.done === true) throw new Error(`the subscription ended after ${out.length} of ${n} items`);
      out.push(result.value);
    }
  })();
  await within(reading, ms, `${n} items of subscription ${sub.id}`);
  return out;
}
