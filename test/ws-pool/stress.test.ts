// Stress: many concurrent callers doing random acquire / abort / timeout / release / destroy against
// a real echo server, checking the stat() invariants after every step. Seeded, so a failure replays;
// WSPOOL_STRESS=1 runs 20 times as many iterations; WSPOOL_SEED=<n> picks another seed.
import { describe, expect, it } from 'vitest';
import { WsPoolError, type PooledConnection } from '../../src/index.js';
import {
  PoolJar,
  checkStat,
  prng,
  startPeerServer,
  statOf,
  turn,
  until,
  within,
  useSuiteServer,
} from './support.js';

const SCALE = process.env.WSPOOL_STRESS === '1' ? 20 : 1;

const jar = new PoolJar();
const server = useSuiteServer(() => startPeerServer(), jar);

/** Wait `n` real event-loop turns (lets I/O and other workers interleave). */
async function turnsOf(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await turn();
}

describe('stress', () => {
  const SEED = process.env.WSPOOL_SEED === undefined ? 0x5eed_c0de : Number(process.env.WSPOOL_SEED);
  const WORKERS = 100;
  const ITERATIONS = 40 * SCALE;
  const MAX = 8;

  it(`${WORKERS} workers × ${ITERATIONS} random steps keep constructing + acquired + idle <= maxConns (seed ${SEED})`, async () => {
    const random = prng(SEED);
    const pick = (n: number): number => Math.floor(random() * n);
    const pool = jar.pool({
      url: server.url,
      maxConns: MAX,
      minConns: 2,
      pingIdleAfter: 0, // every reuse pings: the ping path runs under contention too
      healthCheckPeriod: 5, // and the background check interleaves with everything
      maxConnIdleTime: 20,
      maxConnLifetime: 200,
      maxConnLifetimeJitter: 100,
    });
    let held = 0;
    const unexpected: unknown[] = [];
    const counts = { ok: 0, aborted: 0, timedOut: 0, destroyed: 0 };
    const check = (where: string): void => {
      const s = pool.stat();
      checkStat(s, where);
      if (s.acquiredConns < held)
        throw new Error(`${where}: ${held} handles held but acquiredConns ${s.acquiredConns}`);
      if (s.pendingAcquires > WORKERS) throw new Error(`${where}: pendingAcquires ${s.pendingAcquires}`);
    };

    const use = async (conn: PooledConnection, worker: number): Promise<void> => {
      held++;
      check(`worker ${worker} acquired`);
      try {
        const op = pick(5);
        if (op === 0) {
          const text = `w${worker}-${pick(1e6)}`;
          await conn.sendMessage(text);
          const reply = await conn.readMessage({ timeout: 5_000 });
          if (reply !== text) unexpected.push(new Error(`worker ${worker} read ${reply}, expected ${text}`));
        } else if (op === 1) {
          await turnsOf(pick(4));
        }
        check(`worker ${worker} used`);
      } finally {
        held--;
        if (pick(5) === 0) {
          conn.destroy();
          counts.destroyed++;
        } else {
          conn.release();
          if (pick(10) === 0) conn.release(); // a double release must change nothing
        }
        check(`worker ${worker} gave back`);
      }
    };

    const worker = async (id: number): Promise<void> => {
      for (let i = 0; i < ITERATIONS; i++) {
        const step = pick(10);
        try {
          if (step < 5) {
            await use(await pool.acquire(), id);
            counts.ok++;
          } else if (step < 7) {
            const controller = new AbortController();
            const reason = new Error(`abort ${id}/${i}`);
            const acquiring = pool.acquire({ signal: controller.signal });
            const abortAfter = pick(4);
            if (abortAfter === 0) controller.abort(reason);
            else void turnsOf(abortAfter).then(() => controller.abort(reason));
            try {
              await use(await acquiring, id);
              counts.ok++;
            } catch (error) {
              if (error !== reason) throw error;
              counts.aborted++;
            }
          } else {
            try {
              await use(await pool.acquire({ timeout: pick(3) }), id);
              counts.ok++;
            } catch (error) {
              if (!(error instanceof WsPoolError && error.code === 'WSPOOL_ERR_ACQUIRE_TIMEOUT')) throw error;
              counts.timedOut++;
            }
          }
        } catch (error) {
          unexpected.push(error);
        }
        check(`worker ${id} step ${i}`);
      }
    };

    await within(
      Promise.all(Array.from({ length: WORKERS }, (_, id) => worker(id))),
      60_000 * SCALE,
      'the stress workers',
    );
    expect(unexpected).toEqual([]);
    expect(counts.ok).toBeGreaterThan(0);
    expect(counts.aborted + counts.timedOut).toBeGreaterThan(0);
    expect(counts.destroyed).toBeGreaterThan(0);
    await until(
      () => pool.stat().acquiredConns === 0 && pool.stat().constructingConns === 0,
      'the pool to settle',
    );
    const s = statOf(pool);
    expect(s.pendingAcquires).toBe(0);
    expect(s.acquireCount).toBe(counts.ok);
    await within(pool.close(), 10_000, 'close after the stress');
    expect(statOf(pool).totalConns).toBe(0);
    await until(() => server.open === 0, 'every socket to close at the server');
  });

  it(`maxConns holds at the server under 100 × ${100 * SCALE} concurrent callers`, async () => {
    const counted = await startPeerServer();
    try {
      const pool = jar.pool({ url: counted.url, maxConns: 5, pingIdleAfter: Infinity });
      let inUse = 0;
      let mostInUse = 0;
      const caller = async (id: number): Promise<void> => {
        for (let i = 0; i < 100 * SCALE; i++) {
          await pool.withConnection(async (conn) => {
            inUse++;
            mostInUse = Math.max(mostInUse, inUse);
            checkStat(pool.stat(), `caller ${id}`);
            if (i % 10 === 0) {
              await conn.sendMessage('x');
              await conn.readMessage();
            }
            inUse--;
          });
        }
      };
      await within(
        Promise.all(Array.from({ length: 100 }, (_, id) => caller(id))),
        60_000 * SCALE,
        'the callers',
      );
      expect(mostInUse).toBe(5);
      expect(counted.peak).toBeLessThanOrEqual(5);
      expect(counted.peers.length).toBe(5); // nothing was destroyed, so nothing was re-dialled
      const s = statOf(pool);
      expect(s.acquireCount).toBe(100 * 100 * SCALE);
      expect(s.pendingAcquires).toBe(0);
      expect(s.idleConns).toBe(5);
    } finally {
      await jar.closeAll();
      await counted.close();
    }
  });
});
