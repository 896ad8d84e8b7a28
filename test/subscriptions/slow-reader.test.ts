// 100 000 notifications pushed at a consumer that does not keep up: memory stays at the buffers'
// size, 'drop-oldest' keeps exactly the newest bufferSize and counts every drop, 'error' yields
// exactly the first bufferSize and then WSPOOL_ERR_SUBSCRIPTION_OVERFLOW, and requests on the
// same socket are answered throughout.
import { describe, expect, it } from 'vitest';
import { turn } from '../helpers/async.js';
import { useSuiteServer } from '../helpers/suite.js';
import { settledMemory } from '../faults/support.js';
import { startSubServer } from './sub-server.js';
import { PoolJar, rpcPool, take, until, wsErrorOf } from './support.js';

const jar = new PoolJar();
const server = useSuiteServer(startSubServer, jar);

describe('a slow reader', () => {
  it(
    '100k notifications: memory flat, overflow exact, requests unaffected',
    { timeout: 60_000 },
    async () => {
      const COUNT = 100_000;
      const SIZE = 1024;
      const pool = rpcPool(jar, server.url, { maxConns: 1 });
      const newest = await pool.subscribe<{ n: number }>('eth_subscribe', ['flood'], {
        overflow: 'drop-oldest',
        bufferSize: SIZE,
      });
      const strict = await pool.subscribe<{ n: number }>('eth_subscribe', ['flood'], { bufferSize: SIZE });
      const pad = 'x'.repeat(1_000); // 100 000 × ~1 KB ≈ 100 MB offered
      const m0 = await settledMemory();
      for (let n = 0; n < COUNT; n++) {
        server.publish('flood', { n, pad });
        if (n % 1_000 === 999) {
          await turn();
          // The socket keeps serving requests while neither subscriber reads.
          if (n % 20_000 === 19_999) expect(await pool.call('echo', [n])).toEqual([n]);
        }
      }
      await until(
        () => pool.stat().droppedNotifications === COUNT - SIZE,
        'every notification delivered',
        30_000,
      );
      const m1 = await settledMemory();
      const grew = m1.heapUsed + m1.arrayBuffers - (m0.heapUsed + m0.arrayBuffers);
      // Held: two buffers of 1 024 notifications (~1 KB each), not the 100 MB offered.
      expect(grew).toBeLessThan(16 * 1024 * 1024);

      const kept = await take(newest, SIZE);
      expect(kept.map((v) => v.n)).toEqual(Array.from({ length: SIZE }, (_, i) => COUNT - SIZE + i));
      const first = await take(strict, SIZE);
      expect(first.map((v) => v.n)).toEqual(Array.from({ length: SIZE }, (_, i) => i));
      await wsErrorOf(strict.next(), 'WSPOOL_ERR_SUBSCRIPTION_OVERFLOW');
      expect(pool.stat()).toMatchObject({
        droppedNotifications: COUNT - SIZE,
        subscribers: 1,
        subscriptions: 1,
      });
    },
  );
});
