/**
 * `npm run bench:resubscribe`: 10,000 subscriptions through a server restart, re-established
 * under `maxSendRate` pacing.
 *
 * A `JsonRpcPool` (4 connections, `maxSubscriptionsPerConn` 2,500, `maxSendRate` 1,000 frames/s per
 * connection) holds 10,000 `bench_subscribe` subscriptions on the bench server (its own process),
 * each read by its own `for await` consumer. Every subscription is poked once (one notification
 * each, pushed on the socket that owns it) to prove it live. Then the server is SIGKILLed and
 * started again on the same port, twice, and each time the pool re-subscribes everything by itself. Reported:
 *
 * - **recover**: ms from the new server listening until `stat().resubscribeCount` has grown by
 *   10,000 (every subscription confirmed again), beside the least the pacing allows (the frames
 *   beyond each connection's burst, at `maxSendRate`).
 * - **no loss**: every subscription poked again under its new key; every consumer must get its
 *   notification, and none may have ended.
 * - **heap**: heap + external after a full GC, with everything open, before the first restart and
 *   after each recovery (two restarts): nothing piles up per restart.
 *
 * The pokes come from a second pool without pacing (the server pushes on the owner's socket
 * whichever socket the poke came on), so they don't wait behind the subscribing pool's rate.
 * Not part of `npm run bench` (it kills a process and reports times, not ratios). Output: a table
 * on stdout and `resubscribe.md` / `resubscribe.json` in `BENCH_OUT` (default `bench/results`).
 * `BENCH_RESUBSCRIBE_COUNT` sets the number of subscriptions (the bench smoke uses 400).
 *
 * @module
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

import { settledBytes } from './lib/gc.js';
import { describeMachine, machineLine } from './lib/machine.js';
import { startServer } from './lib/server-process.js';
import { JsonRpcPool, type Subscription } from './lib/wspool.js';

const COUNT = Number(process.env.BENCH_RESUBSCRIBE_COUNT ?? 10_000);
const CONNECTIONS = 4;
const RATE = 1_000;
const PER_CONN = Math.ceil(COUNT / CONNECTIONS);
const GIVE_UP_MS = 60_000;
const RESTARTS = 2;
const OUT = process.env.BENCH_OUT ?? fileURLToPath(new URL('./results/', import.meta.url));

/** Poll `test` every 5 ms until it holds; rejects after {@link GIVE_UP_MS}. */
async function until(test: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + GIVE_UP_MS;
  while (!test()) {
    if (performance.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Each subscription's consumer: counts what its `for await` loop got, and whether it ended. */
class Consumer {
  received = 0;
  ended = false;
  constructor(subscription: Subscription<unknown>) {
    void this.#read(subscription);
  }
  async #read(subscription: Subscription<unknown>): Promise<void> {
    try {
      for await (const _ of subscription) this.received++;
    } finally {
      this.ended = true;
    }
  }
}

function poke(poker: JsonRpcPool, subscriptions: readonly Subscription<unknown>[]): void {
  for (const subscription of subscriptions) void poker.notify('bench_poke', [subscription.key, 1]);
}

const MB = 1024 * 1024;

async function main(): Promise<void> {
  const machine = describeMachine();
  let server = await startServer();
  const port = server.port;
  const url = server.url('/rpc');
  const pool = new JsonRpcPool({
    url,
    minConns: CONNECTIONS,
    maxConns: CONNECTIONS,
    maxSubscriptionsPerConn: PER_CONN,
    maxSendRate: RATE,
  });
  const poker = new JsonRpcPool({ url, minConns: 1, maxConns: 1 });
  try {
    const subscriptions = await Promise.all(
      Array.from({ length: COUNT }, (_, i) => pool.subscribe('bench_subscribe', [i])),
    );
    const consumers = subscriptions.map((subscription) => new Consumer(subscription));
    poke(poker, subscriptions);
    await until(() => consumers.every((c) => c.received >= 1), 'the first notification of each');
    const heapBefore = await settledBytes();
    const resubscribedBefore = pool.stat().resubscribeCount;

    // Two restarts: the heap after the second against the first shows nothing piles up per restart.
    const recoverMs: number[] = [];
    /** From the restart to the first re-subscribe confirmed: the reconnect, before any pacing. */
    const firstMs: number[] = [];
    const heapAfter: number[] = [];
    let delivered = 0;
    let ended = 0;
    for (let restart = 1; restart <= RESTARTS; restart++) {
      const resubscribed = pool.stat().resubscribeCount;
      await server.kill();
      server = await startServer(port);
      const restarted = performance.now();
      let firstConfirmed: number | undefined;
      await until(() => {
        const done = pool.stat().resubscribeCount - resubscribed;
        if (done > 0) firstConfirmed ??= performance.now();
        return done >= COUNT;
      }, 'every subscription to be re-established');
      recoverMs.push(Math.round(performance.now() - restarted));
      firstMs.push(Math.round((firstConfirmed ?? performance.now()) - restarted));
      poke(poker, subscriptions);
      await until(
        () => consumers.every((c) => c.received > restart),
        'a notification of each after the restart',
      );
      delivered = consumers.filter((c) => c.received > restart).length;
      ended = consumers.filter((c) => c.ended).length;
      heapAfter.push(await settledBytes());
    }
    const stat = pool.stat();

    // Each connection's bucket starts full (a burst of RATE frames); the rest go out at RATE/s.
    const pacedFloorMs = (Math.max(0, PER_CONN - RATE) / RATE) * 1000;
    const result = {
      machine,
      date: new Date().toISOString(),
      subscriptions: COUNT,
      connections: CONNECTIONS,
      maxSendRate: RATE,
      restarts: RESTARTS,
      recoverMs,
      firstConfirmedMs: firstMs,
      pacedFloorMs: Math.round(pacedFloorMs),
      deliveredAfterLastRestart: delivered,
      ended,
      resubscribes: stat.resubscribeCount - resubscribedBefore,
      droppedNotifications: stat.droppedNotifications,
      heapBeforeMB: heapBefore / MB,
      heapAfterMB: heapAfter.map((bytes) => bytes / MB),
    };
    const heap = [heapBefore, ...heapAfter].map((bytes) => (bytes / MB).toFixed(1)).join(' → ');
    const rows = [
      `| subscriptions | connections | maxSendRate | first confirmed | all confirmed (recover) | pacing floor | notified after each | ended | heap: before → after each restart |`,
      `| --: | --: | --: | --: | --: | --: | --: | --: | --: |`,
      `| ${COUNT} | ${CONNECTIONS} | ${RATE}/s per connection | ${firstMs.map((ms) => `${ms} ms`).join(', ')} | ${recoverMs.map((ms) => `${ms} ms`).join(', ')} | ${result.pacedFloorMs} ms | ${delivered} of ${COUNT} | ${ended} | ${heap} MB |`,
    ];
    const markdown = [
      '# Re-subscribe after a server restart',
      '',
      machineLine(machine),
      '',
      `Run ${result.date}: ${COUNT} subscriptions on a JsonRpcPool, the server SIGKILLed and started again on the same port, twice; each time the pool re-subscribes by itself, paced by maxSendRate. "first confirmed" and "all confirmed" count from the new server listening until the first and the last subscription is confirmed again; "pacing floor" is the least maxSendRate allows. Heap is heap + external after a full GC, everything open.`,
      '',
      ...rows,
      '',
    ].join('\n');
    console.log(`\n${rows.join('\n')}`);
    await mkdir(OUT, { recursive: true });
    await writeFile(join(OUT, 'resubscribe.md'), markdown);
    await writeFile(join(OUT, 'resubscribe.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(`bench resubscribe: wrote ${join(OUT, 'resubscribe.md')}`);
    if (delivered !== COUNT || ended !== 0) {
      throw new Error(`lost subscriptions: ${delivered} of ${COUNT} notified, ${ended} ended`);
    }
  } finally {
    await poker.close();
    await pool.close();
    await server.stop();
  }
}

await main();
