/**
 * Suite 3, notification fan-in — 1 000 subscriptions over 4 connections, each read by its own
 * consumer (`next()`, what `for await` calls).
 *
 * Each of the 1 000 callers is the consumer of one subscription. One operation is one
 * notification delivered to it; every `BURST` operations it asks the server (one `bench_poke`
 * frame) for the next `BURST` notifications, so at most `BURST` wait per subscription and no
 * buffer ever overflows. The limit is a hand-written raw `ws` handler: parse, look the key up in a
 * `Map`, hand the value to the waiting consumer. Baseline: raw ws.
 *
 * @module
 */
import type { Workload } from '../lib/closed-loop.js';
import type { SubscriptionClient } from '../lib/contender.js';
import type { ThroughputScenario } from '../lib/rounds.js';

const CONNECTIONS = 4;
const SUBSCRIPTIONS = 1_000;
const BURST = 16;

function fanInWorkload(client: SubscriptionClient): Workload {
  const left = new Uint32Array(client.subscriptions);
  return {
    callers: client.subscriptions,
    async op(worker) {
      if (left[worker] === 0) {
        client.poke(worker, BURST);
        left[worker] = BURST;
      }
      left[worker] = (left[worker] as number) - 1;
      const value = (await client.next(worker)).value as { block?: unknown } | undefined;
      if (value?.block !== 42) throw new Error(`unexpected notification: ${JSON.stringify(value)}`);
    },
    close: () => client.close(),
  };
}

export function notificationsScenario(url: string): ThroughputScenario {
  return {
    suite: '3',
    id: 'notifications',
    title: 'notification fan-in',
    description: `${SUBSCRIPTIONS} subscriptions over ${CONNECTIONS} connections, one consumer each`,
    unit: 'notif/s',
    baseline: 'raw-ws',
    latency: false,
    prepare(contender) {
      const open = contender.subscriptionClient;
      if (open === undefined) return undefined;
      return async () =>
        fanInWorkload(await open({ url, connections: CONNECTIONS, subscriptions: SUBSCRIPTIONS }));
    },
  };
}
