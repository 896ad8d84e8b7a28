/**
 * wspool's multiplexed `JsonRpcPool`, with its defaults (shared/API.md §3).
 *
 * All connections are opened up front (`minConns = maxConns`) and the per-connection cap is the
 * even share of the harness's in-flight requests, so nothing queues inside the pool. A
 * `JsonRpcPool` already is an `RpcClient`: nothing is wrapped. Until `JsonRpcPool` is exported
 * from src/index.ts this module fails to import and the runner prints it as skipped.
 */
import { JsonRpcPool, type Subscription } from '../../src/index.js';
import type { Contender, SubscriptionClient } from '../lib/contender.js';

const contender: Contender = {
  name: 'wspool JsonRpcPool',

  rpcClient: async ({ url, connections, inFlight }) => {
    const pool = new JsonRpcPool({
      url,
      minConns: connections,
      maxConns: connections,
      maxInFlightPerConn: Math.ceil(inFlight / connections),
    });
    // The constructor fills in the background; one call makes sure the pool is usable before
    // the clock starts (the warm-up then brings every connection up to speed).
    await pool.call('echo', []);
    return pool;
  },

  // `JsonRpcPool.subscribe()` handles, read with `next()` (what `for await` calls), placed by the
  // pool on `connections` connections (maxSubscriptionsPerConn: their even share).
  subscriptionClient: async ({ url, connections, subscriptions }): Promise<SubscriptionClient> => {
    const pool = new JsonRpcPool({
      url,
      minConns: connections,
      maxConns: connections,
      maxSubscriptionsPerConn: Math.ceil(subscriptions / connections),
    });
    const subs: Subscription<unknown>[] = await Promise.all(
      Array.from({ length: subscriptions }, (_, i) => pool.subscribe('bench_subscribe', [i])),
    );
    const iterators = subs.map((sub) => sub[Symbol.asyncIterator]());
    return {
      subscriptions: subs.length,
      next: (index) => (iterators[index] as AsyncIterator<unknown>).next(),
      poke: (index, count) =>
        void pool.notify('bench_poke', [(subs[index] as Subscription<unknown>).key, count]),
      close: () => pool.close(),
    };
  },
};

export default contender;
