// JsonRpcPool.subscribe against a real server with Ethereum-shaped subscriptions: delivery in
// order, keys, unsubscribing every way, coalescing, placement by count, overflow, unrouted
// notifications, remote refusal, and pool.close() ending iterations.
import diagnosticsChannel from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { CHANNELS, type SubscriptionEndMessage } from '../../src/index.js';
import { defaultUnsubscribeMethod } from '../../src/multiplex/json-rpc-pool.js';
import { useSuiteServer } from '../helpers/suite.js';
import { startSubServer } from './sub-server.js';
import { PoolJar, expectNothingPending, rpcPool, take, until, within, wsErrorOf } from './support.js';

const jar = new PoolJar();
const server = useSuiteServer(startSubServer, jar, (s) => {
  s.refuse.clear();
  s.holdSubscribes = false;
});

describe('subscribe', () => {
  it('resolves once confirmed; for await yields params.result in order', async () => {
    const pool = rpcPool(jar, server.url);
    const sub = await pool.subscribe<number>('eth_subscribe', ['ticks']);
    expect(sub.key).toMatch(/^0x[0-9a-f]+$/);
    expect(typeof sub.id).toBe('number');
    expect(sub.resubscribes).toBe(0);
    for (let i = 0; i < 50; i++) server.publish('ticks', i);
    expect(await take(sub, 50)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(pool.stat()).toMatchObject({ subscriptions: 1, subscribers: 1, unroutedNotifications: 0 });
    await sub.unsubscribe();
  });

  it('ids are unique per subscribe() call', async () => {
    const pool = rpcPool(jar, server.url);
    const a = await pool.subscribe('eth_subscribe', ['a']);
    const b = await pool.subscribe('eth_subscribe', ['a']);
    expect(a.id).not.toBe(b.id);
    expect(a.key).toBe(b.key); // coalesced: one server subscription
  });

  it('a refused subscribe rejects WSPOOL_ERR_REMOTE with the error object', async () => {
    server.refuse.add('nope');
    const pool = rpcPool(jar, server.url);
    const error = await wsErrorOf(pool.subscribe('eth_subscribe', ['nope']), 'WSPOOL_ERR_REMOTE');
    expect(error.data).toMatchObject({ code: -32602 });
    expect(pool.stat()).toMatchObject({ subscriptions: 0, subscribers: 0 });
  });

  it('no confirmation within timeout rejects WSPOOL_ERR_REQUEST_TIMEOUT', async () => {
    server.holdSubscribes = true;
    const pool = rpcPool(jar, server.url);
    await wsErrorOf(pool.subscribe('eth_subscribe', ['slow'], { timeout: 50 }), 'WSPOOL_ERR_REQUEST_TIMEOUT');
    expect(pool.stat().subscribers).toBe(0);
    // The confirmation that comes late is unsubscribed at once rather than leaked on the server.
    const live = server.live;
    server.releaseSubscribes();
    await until(() => server.live === live, 'the late subscription unsubscribed');
  });

  it('an abort before the confirmation rejects with signal.reason; after it, unsubscribes', async () => {
    server.holdSubscribes = true;
    const pool = rpcPool(jar, server.url);
    const early = new AbortController();
    const pending = pool.subscribe('eth_subscribe', ['abort'], { signal: early.signal });
    await until(() => server.subscribes > 0, 'the subscribe on the server');
    early.abort(new Error('changed my mind'));
    await expect(pending).rejects.toThrow('changed my mind');
    server.holdSubscribes = false;
    server.releaseSubscribes();

    const late = new AbortController();
    const sub = await pool.subscribe('eth_subscribe', ['abort2'], { signal: late.signal });
    const unsubscribes = server.unsubscribes;
    late.abort();
    expect(await sub.next()).toEqual({ done: true, value: undefined });
    await until(() => server.unsubscribes === unsubscribes + 1, 'the unsubscribe');
  });

  it('rejects bad options with WSPOOL_ERR_INVALID_CONFIG naming the field', async () => {
    const pool = rpcPool(jar, server.url);
    await wsErrorOf(pool.subscribe('eth_subscribe', [], { bufferSize: 0 }), 'WSPOOL_ERR_INVALID_CONFIG');
    const error = await wsErrorOf(
      pool.subscribe('eth_subscribe', [], { overflow: 'oldest' as 'error' }),
      'WSPOOL_ERR_INVALID_CONFIG',
    );
    expect(error.message).toContain('`overflow`');
    await wsErrorOf(
      pool.subscribe('eth_subscribe', [], { bufferSiz: 1 } as object),
      'WSPOOL_ERR_INVALID_CONFIG',
    );
  });
});

describe('unsubscribe', () => {
  it('sends the unsubscribe method with [key], awaits its reply, is idempotent and ends the iteration', async () => {
    const pool = rpcPool(jar, server.url);
    const sub = await pool.subscribe<number>('eth_subscribe', ['u']);
    const live = server.live;
    const first = sub.unsubscribe();
    expect(sub.unsubscribe()).toBe(first);
    await first;
    expect(server.live).toBe(live - 1); // answered before unsubscribe() resolved
    expect(await sub.next()).toEqual({ done: true, value: undefined });
    expect(pool.stat()).toMatchObject({ subscriptions: 0, subscribers: 0 });
    expectNothingPending(pool);
  });

  it('break in for await unsubscribes', async () => {
    const pool = rpcPool(jar, server.url);
    const sub = await pool.subscribe<number>('eth_subscribe', ['brk']);
    const live = server.live;
    server.publish('brk', 1);
    for await (const value of sub) {
      expect(value).toBe(1);
      break;
    }
    await until(() => server.live === live - 1, 'the unsubscribe after break');
    expect(pool.stat().subscribers).toBe(0);
  });

  it('a throw in for await unsubscribes', async () => {
    const pool = rpcPool(jar, server.url);
    const sub = await pool.subscribe<number>('eth_subscribe', ['thr']);
    server.publish('thr', 1);
    await expect(
      (async () => {
        for await (const value of sub) throw new Error(`got ${value}`);
      })(),
    ).rejects.toThrow('got 1');
    await until(() => pool.stat().subscriptions === 0, 'the unsubscribe after the throw');
  });

  it('await using unsubscribes at the end of the scope', async () => {
    const pool = rpcPool(jar, server.url);
    const live = server.live;
    {
      await using sub = await pool.subscribe<number>('eth_subscribe', ['scoped']);
      expect(server.live).toBe(live + 1);
      expect(sub.key).toBeDefined();
    }
    expect(server.live).toBe(live);
  });

  it('the default unsubscribe method swaps the first subscribe/Subscribe; unsubscribeMethod overrides it', async () => {
    expect(defaultUnsubscribeMethod('eth_subscribe')).toBe('eth_unsubscribe');
    expect(defaultUnsubscribeMethod('accountSubscribe')).toBe('accountUnsubscribe');
    expect(defaultUnsubscribeMethod('subscribe_subscribe')).toBe('unsubscribe_subscribe');
    const pool = rpcPool(jar, server.url);
    const sub = await pool.subscribe('eth_subscribe', ['custom'], { unsubscribeMethod: 'echo' });
    const live = server.live;
    await sub.unsubscribe(); // `echo` answers, but the server's subscription stays: proof of the method used
    expect(server.live).toBe(live);
  });

  it('an unsubscribe the server fails goes to onError (phase unsubscribe), never to the caller', async () => {
    const errors: { code: string; phase: string }[] = [];
    const pool = rpcPool(jar, server.url, {
      onError: (error, info) => errors.push({ code: error.code, phase: info.phase }),
    });
    // The server refuses `eth_subscribe` for topic "x" from now on: used as the unsubscribe method.
    server.refuse.add('0x1');
    const sub = await pool.subscribe('eth_subscribe', ['ux'], { unsubscribeMethod: 'eth_subscribe' });
    expect(sub.key).toBe('0x1');
    await sub.unsubscribe(); // resolves
    expect(errors).toEqual([{ code: 'WSPOOL_ERR_REMOTE', phase: 'unsubscribe' }]);
  });
});

describe('coalescing', () => {
  it('identical requests share one server subscription, each subscriber its own buffer; the last one out unsubscribes', async () => {
    const pool = rpcPool(jar, server.url);
    const subscribes = server.subscribes;
    const a = await pool.subscribe<number>('eth_subscribe', ['shared']);
    const b = await pool.subscribe<number>('eth_subscribe', ['shared'], {
      bufferSize: 2,
      overflow: 'drop-oldest',
    });
    expect(server.subscribes).toBe(subscribes + 1);
    expect(pool.stat()).toMatchObject({ subscriptions: 1, subscribers: 2 });
    for (let i = 0; i < 5; i++) server.publish('shared', i);
    expect(await take(a, 5)).toEqual([0, 1, 2, 3, 4]);
    await until(() => pool.stat().droppedNotifications === 3, 'b dropping its oldest');
    expect(await take(b, 2)).toEqual([3, 4]);
    const live = server.live;
    await a.unsubscribe();
    expect(server.live).toBe(live); // b still subscribed
    server.publish('shared', 5);
    expect(await take(b, 1)).toEqual([5]);
    await b.unsubscribe();
    expect(server.live).toBe(live - 1);
  });

  it("one subscriber's overflow never ends another's", async () => {
    const pool = rpcPool(jar, server.url);
    const slow = await pool.subscribe<number>('eth_subscribe', ['ov'], { bufferSize: 3 });
    const fast = await pool.subscribe<number>('eth_subscribe', ['ov']);
    for (let i = 0; i < 5; i++) server.publish('ov', i);
    expect(await take(fast, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(await take(slow, 3)).toEqual([0, 1, 2]);
    await wsErrorOf(slow.next(), 'WSPOOL_ERR_SUBSCRIPTION_OVERFLOW');
    server.publish('ov', 5);
    expect(await take(fast, 1)).toEqual([5]);
    expect(pool.stat()).toMatchObject({ subscriptions: 1, subscribers: 1 });
  });
});

describe('placement', () => {
  it('goes to the connection with the fewest, opens more up to maxConns, then rejects POOL_EXHAUSTED at once', async () => {
    const pool = rpcPool(jar, server.url, { maxConns: 2, maxSubscriptionsPerConn: 2 });
    const subs = [];
    for (let i = 0; i < 4; i++) subs.push(await pool.subscribe('eth_subscribe', [`p${i}`]));
    expect(pool.stat().totalConns).toBe(2);
    expect(server.perSocket().sort()).toEqual([2, 2]);
    const error = await wsErrorOf(pool.subscribe('eth_subscribe', ['p4']), 'WSPOOL_ERR_POOL_EXHAUSTED');
    expect(error.message).toMatch(/maxSubscriptionsPerConn/);
    await subs[0]?.unsubscribe();
    const again = await pool.subscribe('eth_subscribe', ['p4']); // room again
    expect(again.key).toBeDefined();
    expect(server.perSocket().sort()).toEqual([2, 2]);
  });

  it('subscribes issued in one turn spread over the open connections, never past maxSubscriptionsPerConn', async () => {
    const pool = rpcPool(jar, server.url, { minConns: 3, maxConns: 3, maxSubscriptionsPerConn: 4 });
    await until(() => server.sockets.length === 3, 'three connections');
    const subs = await Promise.all(
      Array.from({ length: 12 }, (_, i) => pool.subscribe('eth_subscribe', [`turn-${i}`])),
    );
    expect(subs).toHaveLength(12);
    expect(server.perSocket()).toEqual([4, 4, 4]);
    await wsErrorOf(pool.subscribe('eth_subscribe', ['turn-12']), 'WSPOOL_ERR_POOL_EXHAUSTED');
  });

  it('keys are per connection: the same key on two sockets routes to each its own subscriber', async () => {
    const pool = rpcPool(jar, server.url, { maxConns: 2, maxSubscriptionsPerConn: 1 });
    const a = await pool.subscribe<string>('eth_subscribe', ['k-a']);
    const b = await pool.subscribe<string>('eth_subscribe', ['k-b']);
    expect(a.key).toBe(b.key); // both servers' first key: 0x1
    server.publish('k-a', 'for a');
    server.publish('k-b', 'for b');
    expect(await take(a, 1)).toEqual(['for a']);
    expect(await take(b, 1)).toEqual(['for b']);
  });
});

describe('buffers', () => {
  it("overflow 'error': the buffered items are read, then WSPOOL_ERR_SUBSCRIPTION_OVERFLOW", async () => {
    const pool = rpcPool(jar, server.url);
    const sub = await pool.subscribe<number>('eth_subscribe', ['full'], { bufferSize: 10 });
    for (let i = 0; i < 15; i++) server.publish('full', i);
    await until(() => pool.stat().subscribers === 0, 'the overflow');
    expect(await take(sub, 10)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    const error = await wsErrorOf(sub.next(), 'WSPOOL_ERR_SUBSCRIPTION_OVERFLOW');
    expect(error.message).toMatch(/bufferSize/);
    expect(await sub.next()).toEqual({ done: true, value: undefined });
    await until(() => pool.stat().subscriptions === 0, 'the server subscription stopped');
  });

  it("overflow 'drop-oldest' keeps the newest bufferSize and counts the dropped", async () => {
    const pool = rpcPool(jar, server.url);
    const sub = await pool.subscribe<number>('eth_subscribe', ['drop'], {
      bufferSize: 10,
      overflow: 'drop-oldest',
    });
    for (let i = 0; i < 25; i++) server.publish('drop', i);
    await until(() => pool.stat().droppedNotifications === 15, 'the drops');
    expect(await take(sub, 10)).toEqual(Array.from({ length: 10 }, (_, i) => i + 15));
  });

  it('a slow subscriber never delays requests or other subscriptions on its socket', async () => {
    const pool = rpcPool(jar, server.url, { maxConns: 1 });
    await pool.subscribe<number>('eth_subscribe', ['never-read'], { bufferSize: 5, overflow: 'drop-oldest' });
    const other = await pool.subscribe<number>('eth_subscribe', ['read']);
    for (let i = 0; i < 1_000; i++) server.publish('never-read', i);
    server.publish('read', 'x');
    expect(await pool.call('echo', ['still answering'])).toEqual(['still answering']);
    expect(await take(other, 1)).toEqual(['x']);
  });
});

describe('unrouted notifications and the channels', () => {
  it('a notification with an unknown key is counted and goes to onMessage', async () => {
    const seen: unknown[] = [];
    const pool = rpcPool(jar, server.url, { onMessage: (m) => seen.push(m) });
    const sub = await pool.subscribe('eth_subscribe', ['un']);
    for (const ws of server.sockets) {
      ws.send(
        JSON.stringify({
          jsonrpc: '2.0',
          method: 'eth_subscription',
          params: { subscription: '0xdead', result: 1 },
        }),
      );
    }
    await until(() => seen.length === 1, 'the unrouted notification');
    expect(pool.stat().unroutedNotifications).toBe(1);
    expect(seen[0]).toMatchObject({ params: { subscription: '0xdead' } });
    await sub.unsubscribe();
  });

  it('wspool:subscription:end is published once per subscriber', async () => {
    const ends: SubscriptionEndMessage[] = [];
    const listener = (m: unknown): void => void ends.push(m as SubscriptionEndMessage);
    diagnosticsChannel.subscribe(CHANNELS.subscriptionEnd, listener);
    try {
      const pool = rpcPool(jar, server.url);
      const sub = await pool.subscribe('eth_subscribe', ['diag']);
      await sub.unsubscribe();
      await sub.unsubscribe();
      expect(ends).toEqual([{ pool, id: sub.id, key: sub.key }]);
    } finally {
      diagnosticsChannel.unsubscribe(CHANNELS.subscriptionEnd, listener);
    }
  });
});

describe('pool.close()', () => {
  it('ends every iteration without an error and rejects pending subscribes', async () => {
    const pool = rpcPool(jar, server.url);
    const sub = await pool.subscribe<number>('eth_subscribe', ['closing']);
    server.holdSubscribes = true;
    const pending = wsErrorOf(pool.subscribe('eth_subscribe', ['never-confirmed']), 'WSPOOL_ERR_POOL_CLOSED');
    const reading = (async () => {
      const got: number[] = [];
      for await (const value of sub) got.push(value);
      return got;
    })();
    await until(() => server.subscribes >= 2, 'the second subscribe');
    await pool.close();
    expect(await within(reading, 2_000, 'the iteration')).toEqual([]);
    await pending;
    await wsErrorOf(pool.subscribe('eth_subscribe', ['late']), 'WSPOOL_ERR_POOL_CLOSED');
    expect(pool.stat()).toMatchObject({ subscriptions: 0, subscribers: 0, totalConns: 0 });
  });
});
