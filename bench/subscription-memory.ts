/**
 * Memory per subscription: a one-off probe beside the fan-in scenario (`npx tsx bench/subscription-memory.ts`).
 *
 * Opens 4 connections to the bench server (a child process), then 10 000 subscriptions through
 * each contender that offers the fan-in shape, and prints `heapUsed + external` after a full GC
 * with them open, minus the same with only the connections open, per subscription. Each
 * contender runs in this one process in turn, wspool first; a warm-up set is opened and closed
 * first so code and lazily created singletons are not counted.
 *
 * @module
 */

import raw from './contenders/raw-ws.js';
import wspool from './contenders/wspool-jsonrpc.js';
import type { Contender } from './lib/contender.js';
import { settledBytes } from './lib/gc.js';
import { startServer } from './lib/server-process.js';

const COUNT = 10_000;

async function perSubscription(contender: Contender, url: string): Promise<number> {
  const open = contender.subscriptionClient;
  if (open === undefined) throw new Error(`${contender.name} has no subscriptionClient`);
  await (await open({ url, connections: 4, subscriptions: 100 })).close();
  // Connections alone, then connections and subscriptions: the difference is the subscriptions.
  const base = await open({ url, connections: 4, subscriptions: 1 });
  const before = await settledBytes();
  await base.close();
  const client = await open({ url, connections: 4, subscriptions: COUNT + 1 });
  const after = await settledBytes();
  await client.close();
  return (after - before) / COUNT;
}

const server = await startServer();
const url = server.url('/rpc');
try {
  for (const contender of [wspool, raw]) {
    const bytes = await perSubscription(contender, url);
    console.log(
      `${contender.name.padEnd(20)} ${Math.round(bytes)} bytes per subscription (${COUNT} over 4 connections)`,
    );
  }
} finally {
  await server.stop();
}
