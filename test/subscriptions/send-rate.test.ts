// maxSendRate against a server that stamps every frame it receives (messages and pings): no
// window of a second ever holds more than maxSendRate of them, through a burst of subscribes and
// the mass re-subscribe after a restart; a frame that waits keeps its deadline.
import { describe, expect, it, vi } from 'vitest';
import type { Subscription } from '../../src/subscriptions/subscription.js';
import { turns } from '../helpers/async.js';
import { useSuiteServer } from '../helpers/suite.js';
import { startSubServer } from './sub-server.js';
import { PoolJar, rpcPool, until, useFakeClock, within, wsErrorOf } from './support.js';

const jar = new PoolJar();
const server = useSuiteServer(startSubServer, jar);

/** Most frames any window of `ms` holds, over every socket's arrival stamps. */
function busiestWindow(frames: number[][], ms: number): number {
  let most = 0;
  for (const times of frames) {
    let start = 0;
    for (let end = 0; end < times.length; end++) {
      while ((times[end] as number) - (times[start] as number) >= ms) start++;
      most = Math.max(most, end - start + 1);
    }
  }
  return most;
}

describe('maxSendRate', () => {
  it(
    'is never exceeded on a connection, through a subscribe burst and a mass re-subscribe',
    { timeout: 30_000 },
    async () => {
      const rate = 20;
      const pool = rpcPool(jar, server.url, { maxSendRate: rate, maxConns: 2, keepAliveInterval: 300 });
      const first = server.frames.length;
      const subs: Subscription<number>[] = await within(
        Promise.all(Array.from({ length: 60 }, (_, i) => pool.subscribe<number>('eth_subscribe', [`r${i}`]))),
        10_000,
        'the subscribes',
      );
      await server.restart();
      await until(() => pool.stat().resubscribeCount === 60, 'the mass re-subscribe', 15_000);
      await Promise.all(subs.map((sub) => sub.unsubscribe()));
      const frames = server.frames.slice(first);
      expect(frames.flat().length).toBeGreaterThanOrEqual(60 * 3); // subscribes, re-subscribes, unsubscribes
      // Stamped by a server in this process: an event-loop delay can stamp a frame late and squeeze
      // the next second's first frames closer, so the window checked is 950 ms of arrival times.
      expect(busiestWindow(frames, 950)).toBeLessThanOrEqual(rate);
    },
  );

  it('a request waiting for its turn keeps its deadline, and one that expired is never sent', async () => {
    useFakeClock();
    const pool = rpcPool(jar, server.url, { maxSendRate: 1, keepAliveInterval: Infinity });
    expect(await pool.call('echo', ['first'])).toEqual(['first']);
    const before = server.frames.flat().length;
    const late = wsErrorOf(pool.call('echo', ['late'], { timeout: 500 }), 'WSPOOL_ERR_REQUEST_TIMEOUT');
    await vi.advanceTimersByTimeAsync(500);
    await late;
    await vi.advanceTimersByTimeAsync(1_000);
    await turns(20);
    expect(server.frames.flat().length).toBe(before);
    const next = pool.call('echo', ['next']); // its token is free again
    expect(await within(next, 2_000, 'the next call')).toEqual(['next']);
  });
});
