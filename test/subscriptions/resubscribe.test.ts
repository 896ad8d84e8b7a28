// Subscriptions outliving their connections: a server killed and restarted under 200 live
// subscriptions, onGap and its backfill in place, resubscribe: false, a refused re-subscribe, a
// subscribe whose connection dies before the confirmation, and the background errors.
import diagnosticsChannel from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { CHANNELS, type GapInfo, type SubscriptionResubscribeMessage } from '../../src/index.js';
import type { Subscription } from '../../src/subscriptions/subscription.js';
import { useSuiteServer } from '../helpers/suite.js';
import { startSubServer } from './sub-server.js';
import { PoolJar, rpcPool, take, until, within, wsErrorOf } from './support.js';

const jar = new PoolJar();
const server = useSuiteServer(startSubServer, jar, (s) => {
  s.refuse.clear();
  s.holdSubscribes = false;
});

describe('a server restart', () => {
  it('under 200 live subscriptions: each resumes with a new key, same handle, onGap once, nothing hangs', async () => {
    const pool = rpcPool(jar, server.url, { maxConns: 4 });
    const gaps = new Map<number, GapInfo[]>();
    const subs: Subscription<string>[] = [];
    for (let i = 0; i < 200; i++) {
      const sub: Subscription<string> = await pool.subscribe<string>('eth_subscribe', [`t${i}`], {
        onGap: (gap) => {
          gaps.set(sub.id, [...(gaps.get(sub.id) ?? []), gap]);
          return [`backfill ${i}`];
        },
      });
      subs.push(sub);
    }
    expect(pool.stat()).toMatchObject({ subscriptions: 200, subscribers: 200, totalConns: 2 });
    for (let i = 0; i < 200; i++) server.publish(`t${i}`, `before ${i}`);
    const ids = subs.map((s) => s.id);
    const oldKeys = subs.map((s) => s.key);

    await server.restart();
    await until(() => server.live === 200, 'every subscription re-established', 10_000);
    await until(() => pool.stat().resubscribeCount === 200, 'the resubscribe count');
    for (let i = 0; i < 200; i++) server.publish(`t${i}`, `after ${i}`);

    const seen = await within(Promise.all(subs.map((sub) => take(sub, 3))), 10_000, 'every stream');
    seen.forEach((items, i) => expect(items).toEqual([`before ${i}`, `backfill ${i}`, `after ${i}`]));
    expect(subs.map((s) => s.id)).toEqual(ids);
    subs.forEach((sub, i) => {
      expect(sub.key).not.toBe(oldKeys[i]);
      expect(sub.resubscribes).toBe(1);
      const calls = gaps.get(sub.id) ?? [];
      expect(calls).toHaveLength(1);
      const gap = calls[0] as GapInfo;
      expect(gap.attempts).toBeGreaterThanOrEqual(1);
      expect(gap.resumedAt).toBeGreaterThanOrEqual(gap.lostAt);
    });
    expect(pool.stat()).toMatchObject({ subscriptions: 200, subscribers: 200 });
    await within(pool.close(), 5_000, 'close');
  });

  it('a server down for a while: failed attempts go to onError (phase resubscribe), then it resumes', async () => {
    const errors: string[] = [];
    const pool = rpcPool(jar, server.url, { onError: (_error, info) => errors.push(info.phase) });
    let gap: GapInfo | undefined;
    const sub = await pool.subscribe<string>('eth_subscribe', ['down'], {
      onGap: (info) => {
        gap = info;
      },
    });
    await server.stop();
    await until(() => errors.length >= 2, 'two failed re-subscribe attempts');
    await server.start();
    await until(() => server.live === 1, 'the re-subscribe');
    server.publish('down', 'back');
    expect(await take(sub, 1)).toEqual(['back']);
    expect(new Set(errors)).toEqual(new Set(['resubscribe']));
    expect(gap?.attempts).toBeGreaterThanOrEqual(3);
  });

  it('publishes wspool:subscription:resubscribe with the old and new key', async () => {
    const messages: SubscriptionResubscribeMessage[] = [];
    const listener = (m: unknown): void => void messages.push(m as SubscriptionResubscribeMessage);
    diagnosticsChannel.subscribe(CHANNELS.subscriptionResubscribe, listener);
    try {
      const pool = rpcPool(jar, server.url);
      const sub = await pool.subscribe('eth_subscribe', ['diag']);
      const before = sub.key;
      await server.restart();
      await until(() => messages.length === 1, 'the resubscribe message');
      expect(messages[0]).toMatchObject({ pool, previousKey: before, key: sub.key });
      expect(messages[0]?.attempts).toBeGreaterThanOrEqual(1);
    } finally {
      diagnosticsChannel.unsubscribe(CHANNELS.subscriptionResubscribe, listener);
    }
  });
});

describe('onGap', () => {
  it('is awaited in order and its async iterable is yielded in place', async () => {
    const pool = rpcPool(jar, server.url);
    const sub = await pool.subscribe<number>('eth_subscribe', ['ordered'], {
      onGap: async function* () {
        await new Promise((resolve) => setImmediate(resolve));
        yield 2;
        yield 3;
      },
    });
    server.publish('ordered', 1);
    expect(await take(sub, 1)).toEqual([1]);
    await server.restart();
    await until(() => server.live === 1, 'the re-subscribe');
    server.publish('ordered', 4);
    expect(await take(sub, 3)).toEqual([2, 3, 4]);
  });

  it('an unsubscribe while onGap runs ends the iteration at once', async () => {
    const pool = rpcPool(jar, server.url);
    const sub = await pool.subscribe<number>('eth_subscribe', ['slow-gap'], {
      onGap: () => new Promise<never>(() => undefined), // never settles
    });
    await server.restart();
    await until(() => pool.stat().resubscribeCount === 1, 'the re-subscribe');
    const next = sub.next();
    await until(() => true, 'a turn');
    await sub.unsubscribe();
    expect(await within(next, 2_000, 'the iteration')).toEqual({ done: true, value: undefined });
  });

  it('a throw from onGap ends the iteration with it', async () => {
    const pool = rpcPool(jar, server.url);
    const sub = await pool.subscribe<number>('eth_subscribe', ['bad-gap'], {
      onGap: () => {
        throw new Error('backfill failed');
      },
    });
    await server.restart();
    await until(() => pool.stat().resubscribeCount === 1, 'the re-subscribe');
    await expect(sub.next()).rejects.toThrow('backfill failed');
  });
});

describe('ending instead of resuming', () => {
  it('resubscribe: false ends with WSPOOL_ERR_CONNECTION_CLOSED after the buffered items', async () => {
    const pool = rpcPool(jar, server.url);
    const sub = await pool.subscribe<number>('eth_subscribe', ['once'], { resubscribe: false });
    server.publish('once', 1);
    server.publish('once', 2);
    // The server answers in order on the socket: once this reply is in, so are both notifications.
    await pool.call('echo', []);
    await server.restart();
    await until(() => pool.stat().subscribers === 0, 'the end');
    expect(await take(sub, 2)).toEqual([1, 2]);
    await wsErrorOf(sub.next(), 'WSPOOL_ERR_CONNECTION_CLOSED');
    expect(server.live).toBe(0);
  });

  it('coalesced subscribers: the one without resubscribe ends, the other resumes', async () => {
    const pool = rpcPool(jar, server.url);
    const keep = await pool.subscribe<number>('eth_subscribe', ['mixed']);
    const drop = await pool.subscribe<number>('eth_subscribe', ['mixed'], { resubscribe: false });
    await server.restart();
    await wsErrorOf(drop.next(), 'WSPOOL_ERR_CONNECTION_CLOSED');
    await until(() => server.live === 1, 'the re-subscribe');
    server.publish('mixed', 7);
    expect(await take(keep, 1)).toEqual([7]);
  });

  it('a server that refuses the re-subscribe ends it with WSPOOL_ERR_REMOTE', async () => {
    const pool = rpcPool(jar, server.url);
    const sub = await pool.subscribe<number>('eth_subscribe', ['refused-later']);
    server.refuse.add('refused-later');
    await server.restart();
    const error = await wsErrorOf(sub.next(), 'WSPOOL_ERR_REMOTE');
    expect(error.data).toMatchObject({ code: -32602 });
    expect(pool.stat()).toMatchObject({ subscriptions: 0, subscribers: 0 });
  });
});

describe('a subscribe whose connection dies before the confirmation', () => {
  it('is re-sent on another connection within its deadline', async () => {
    const pool = rpcPool(jar, server.url);
    server.holdSubscribes = true;
    const before = server.subscribes;
    const pending = pool.subscribe<number>('eth_subscribe', ['resent'], { timeout: 5_000 });
    pending.catch(() => undefined); // awaited below; a failure shows there
    await until(() => server.subscribes === before + 1, 'the first subscribe');
    for (const ws of server.sockets) ws.terminate();
    server.holdSubscribes = false;
    server.releaseSubscribes(); // answers into a dead socket
    const sub = await within(pending, 5_000, 'the re-sent subscribe');
    expect(server.subscribes).toBe(before + 2);
    expect(sub.resubscribes).toBe(0);
    server.publish('resent', 1);
    expect(await take(sub, 1)).toEqual([1]);
  });
});
