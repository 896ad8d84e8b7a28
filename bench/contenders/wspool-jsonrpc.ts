/**
 * wspool's multiplexed `JsonRpcPool`, with its defaults (4 connections, as the scenario asks).
 * A `JsonRpcPool` already is an `RpcClient`: nothing is wrapped.
 *
 * Notification fan-in: `JsonRpcPool.subscribe()` handles, read with `next()` (what `for await`
 * calls), placed by the pool on `connections` connections (maxSubscriptionsPerConn: their share).
 */
import { JsonRpcPool, type Subscription } from '../lib/wspool.js';
import type { Contender, SubscriptionClient } from '../lib/contender.js';
import { openJsonRpcPool } from '../lib/json-rpc-pool.js';

const contender: Contender = {
  name: 'wspool JsonRpcPool',
  rpcClient: ({ url, connections, inFlight }) => openJsonRpcPool(url, connections, inFlight),

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
