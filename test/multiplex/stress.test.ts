// Volume: many requests through a small pool, a mix of successes, remote errors, timeouts and
// aborts, with replies out of order. Afterwards every pending structure is empty: no id, deadline
// or queue entry outlives its request. 20 000 requests by default; WSPOOL_STRESS=1 runs 200 000
// (WSPOOL_STRESS_TOTAL=1000000, a multiple of 100, runs that many).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonRpcPool } from '../../src/index.js';
import { startRpcServer, type RpcServer } from './json-rpc-server.js';
import { expectNothingPending, pendingSizes, within } from './support.js';

const STRESS = process.env.WSPOOL_STRESS === '1' || process.env.WSPOOL_STRESS_TOTAL !== undefined;
const TOTAL = Number(process.env.WSPOOL_STRESS_TOTAL ?? (STRESS ? 200_000 : 20_000));
const WINDOW = 2_000; // requests kept outstanding

let server: RpcServer;

beforeAll(async () => {
  server = await startRpcServer({ maxDelay: 3 });
});
afterAll(() => server.close());

describe('volume', () => {
  it(
    `${TOTAL} requests (successes, errors, timeouts, aborts) leave nothing pending`,
    { timeout: STRESS ? 120_000 : 20_000 },
    async () => {
      const pool = new JsonRpcPool({
        url: server.url,
        maxConns: 4,
        maxInFlightPerConn: 256, // 1 024 in flight at most: the rest of the window queues
        requestTimeout: 5_000,
        healthCheckPeriod: Infinity,
      });
      const tally = { ok: 0, remote: 0, timeout: 0, aborted: 0, other: 0 };
      let peakMap = 0;
      try {
        let next = 0;
        const worker = async (): Promise<void> => {
          while (next < TOTAL) {
            const i = next++;
            const kind = i % 100;
            try {
              if (kind < 90) {
                const result = await pool.call<number[]>('echo', [i]);
                if (result[0] !== i) throw new Error(`mismatched reply: ${result[0]} for ${i}`);
                tally.ok++;
              } else if (kind < 95) {
                await pool.call('fail');
              } else if (kind < 98) {
                await pool.call('hang', [], { timeout: 20 });
              } else {
                const controller = new AbortController();
                const call = pool.call('hang', [], { signal: controller.signal });
                controller.abort('stop');
                await call;
              }
            } catch (error) {
              const code = (error as { code?: string }).code;
              if (code === 'WSPOOL_ERR_REMOTE') tally.remote++;
              else if (code === 'WSPOOL_ERR_REQUEST_TIMEOUT') tally.timeout++;
              else if (error === 'stop') tally.aborted++;
              else {
                tally.other++;
                throw error;
              }
            }
            if ((i & 1023) === 0) peakMap = Math.max(peakMap, pendingSizes(pool).inFlight);
          }
        };
        await within(
          Promise.all(Array.from({ length: WINDOW }, worker)),
          STRESS ? 110_000 : 18_000,
          'the run',
        );
        expect(tally).toEqual({
          ok: TOTAL * 0.9,
          remote: TOTAL * 0.05,
          timeout: TOTAL * 0.03,
          aborted: TOTAL * 0.02,
          other: 0,
        });
        expect(peakMap).toBeGreaterThan(0);
        expect(peakMap).toBeLessThanOrEqual(4 * 256);
        const stat = pool.stat();
        expect(stat.timedOutRequests).toBe(TOTAL * 0.03);
        expect(stat.inFlight).toBe(0);
        expect(stat.queuedRequests).toBe(0);
        expectNothingPending(pool);
      } finally {
        await pool.close();
      }
    },
  );
});
