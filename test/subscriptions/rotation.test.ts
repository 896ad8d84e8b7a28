// Lifetime rotation make-before-break with numbered notifications: the consumer sees the whole old
// stream, then the new one; numbers may repeat at the seam, none is lost or reordered; no onGap,
// no re-subscribe counted. And a connection carrying subscriptions is never idle-evicted.
import { describe, expect, it, vi } from 'vitest';
import type { Subscription } from '../../src/subscriptions/subscription.js';
import { turn, turns } from '../helpers/async.js';
import { useSuiteServer } from '../helpers/suite.js';
import { startSubServer } from './sub-server.js';
import { PoolJar, rpcPool, until, useFakeClock, within } from './support.js';

const jar = new PoolJar();
const server = useSuiteServer(startSubServer, jar);

/** Read `sub` until `last` arrives; every item read, in order. */
async function readUntil(sub: Subscription<number>, last: number): Promise<number[]> {
  const got: number[] = [];
  const reading = (async () => {
    for (;;) {
      const result = await sub.next();
      if (result.done === true) throw new Error(`ended after ${got.length} items`);
      got.push(result.value);
      if (result.value === last) return;
    }
  })();
  await within(reading, 10_000, `the stream up to ${last}`);
  return got;
}

/**
 * Advance the fake clock in steps, turning the real event loop between them: the background
 * check awaits pongs, which are real I/O.
 */
async function advance(ms: number, step = 250): Promise<void> {
  for (let done = 0; done < ms; done += step) {
    await vi.advanceTimersByTimeAsync(step);
    await turns(10);
  }
}

describe('lifetime rotation', () => {
  it('moves a subscription make-before-break: no gap, no reorder, repeats only at the seam', async () => {
    useFakeClock();
    const pool = rpcPool(jar, server.url, {
      maxConnLifetime: 60_000,
      healthCheckPeriod: 10_000,
      maxConns: 2,
    });
    let gaps = 0;
    const sub = await pool.subscribe<number>('eth_subscribe', ['rot'], { onGap: () => void gaps++ });
    const firstKey = sub.key;
    const unsubscribes = server.unsubscribes;
    let n = 0;
    const publish = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        server.publish('rot', ++n);
        await turn();
      }
    };
    await publish(20);
    await advance(60_000, 2_000); // past the lifetime: the next check drains it
    // Keep the stream flowing while the subscription moves and the old connection closes.
    for (
      let i = 0;
      i < 2_000 && (pool.stat().maxLifetimeDestroyCount === 0 || server.connections !== 1);
      i++
    ) {
      await publish(1);
    }
    await until(() => server.connections === 1 && server.unsubscribes === unsubscribes + 1, 'the rotation');
    await publish(20);

    const got = await readUntil(sub, n);
    // Every number, in order; a number may repeat only where the streams meet.
    const distinct = [...new Set(got)];
    expect(distinct).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    for (let i = 1; i < got.length; i++) {
      if ((got[i] as number) <= (got[i - 1] as number)) {
        // The new stream starts over from the first item it shares with the old one.
        expect(got.slice(i).find((v) => v > (got[i - 1] as number))).toBe((got[i - 1] as number) + 1);
      }
    }
    const seams = got.filter((v, i) => i > 0 && v <= (got[i - 1] as number)).length;
    expect(seams).toBeLessThanOrEqual(1);
    expect(sub.key).toBe(firstKey); // keys count per connection: the new socket's first is 0x1 too
    expect(gaps).toBe(0);
    expect(sub.resubscribes).toBe(0);
    expect(pool.stat()).toMatchObject({
      resubscribeCount: 0,
      maxLifetimeDestroyCount: 1,
      subscriptions: 1,
      totalConns: 1,
    });
    expect(server.live).toBe(1);
  });

  it('a connection carrying subscriptions is never idle-evicted; once they leave, it is', async () => {
    useFakeClock();
    const pool = rpcPool(jar, server.url, {
      maxConnIdleTime: 1_000,
      healthCheckPeriod: 500,
      keepAliveInterval: Infinity,
    });
    const sub = await pool.subscribe('eth_subscribe', ['idle']);
    await advance(10_000);
    expect(pool.stat()).toMatchObject({ totalConns: 1, maxIdleDestroyCount: 0 });
    await sub.unsubscribe();
    await advance(2_000);
    expect(pool.stat()).toMatchObject({ totalConns: 0, maxIdleDestroyCount: 1 });
  });
});
