// Ported tricky cases (after puddle's concurrency tests, rewritten): many concurrent callers
// hammering a small pool, checking the bounds at every step.
import { describe, expect, it } from 'vitest';
import { ResourcePool } from '../../src/pool/index.js';
import { checkInvariants, flush, makePool, type Fake } from './fixtures.js';

const CALLERS = 100;
const ITERATIONS = 100;

/** Deterministic pseudo-random numbers (mulberry32), so a failure replays. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('concurrency', () => {
  it(`${CALLERS} callers × ${ITERATIONS} acquire/release never exceed maxSize`, async () => {
    const { pool, factory } = makePool({ maxSize: 7 });
    let inUse = 0;
    let peak = 0;
    const caller = async (): Promise<void> => {
      for (let i = 0; i < ITERATIONS; i++) {
        const r = await pool.acquire();
        inUse++;
        peak = Math.max(peak, inUse);
        expect(r.state).toBe('acquired');
        checkInvariants(pool);
        await Promise.resolve(); // hold it across a turn so callers interleave
        inUse--;
        r.release();
        checkInvariants(pool);
      }
    };
    await Promise.all(Array.from({ length: CALLERS }, caller));
    const s = checkInvariants(pool);
    expect(peak).toBe(7);
    expect(s.acquireCount).toBe(CALLERS * ITERATIONS);
    expect(s.totalResources).toBe(7);
    expect(s.idleResources).toBe(7);
    // Nothing was destroyed, so no slot was ever re-created.
    expect(factory.createCalls).toBe(7);
    await pool.close();
    expect(factory.destroyed).toHaveLength(7);
  });

  it('the same with random destroys, releaseUnused and slow creates keeps every bound', async () => {
    const random = rng(42);
    let id = 0;
    const destroyed = new Set<number>();
    const pool = new ResourcePool<Fake>({
      maxSize: 5,
      create: async () => {
        for (let i = Math.floor(random() * 4); i > 0; i--) await Promise.resolve();
        if (random() < 0.1) throw new Error('create failed');
        return { id: ++id };
      },
      destroy: (value) => {
        if (destroyed.has(value.id)) throw new Error(`destroyed twice: ${value.id}`);
        destroyed.add(value.id);
      },
    });
    const held = new Set<number>();
    let failures = 0;
    const caller = async (): Promise<void> => {
      for (let i = 0; i < ITERATIONS; i++) {
        let r;
        try {
          r = await pool.acquire();
        } catch (err) {
          expect((err as Error).message).toBe('create failed');
          failures++;
          continue;
        }
        // Exclusive checkout: nobody else holds this value.
        expect(held.has(r.value.id)).toBe(false);
        held.add(r.value.id);
        checkInvariants(pool);
        await Promise.resolve();
        held.delete(r.value.id);
        const roll = random();
        if (roll < 0.1) r.destroy();
        else if (roll < 0.2) r.releaseUnused();
        else r.release();
        checkInvariants(pool);
      }
    };
    await Promise.all(Array.from({ length: CALLERS }, caller));
    const s = checkInvariants(pool);
    expect(s.acquireCount + failures).toBe(CALLERS * ITERATIONS);
    expect(s.failedCreateCount).toBe(failures);
    expect(s.pendingAcquires).toBe(0);
    expect(s.constructingResources).toBe(0);
    await pool.close();
    expect(destroyed.size).toBe(id);
    expect(pool.stat().destroyedCount).toBe(id);
  });

  it('close while many callers hold and wait: holders finish, waiters reject, close resolves', async () => {
    const { pool, factory } = makePool({ maxSize: 4 });
    const held = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire(), pool.acquire()]);
    const waiting = Array.from({ length: 50 }, () => pool.acquire());
    const settled = Promise.allSettled(waiting);
    let closeDone = false;
    const closed = pool.close().then(() => {
      closeDone = true;
    });
    const results = await settled;
    expect(results.every((r) => r.status === 'rejected' && /closed/.test(String(r.reason)))).toBe(true);
    await flush();
    expect(closeDone).toBe(false);
    for (const [i, r] of held.entries()) {
      r.release();
      checkInvariants(pool);
      await flush();
      expect(closeDone).toBe(i === held.length - 1);
    }
    await closed;
    expect(factory.destroyed).toHaveLength(4);
    expect(pool.stat()).toMatchObject({ totalResources: 0, acquireCount: 4 });
  });
});
