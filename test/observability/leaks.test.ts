// The leak aid: with `trackLeaks`, `pool.leaks(olderThan)` lists borrowed connections held at least
// that long, longest first, each with the stack of the acquire() that took it.
import { describe, expect, it, vi } from 'vitest';
import { createPool, type Pool, type PooledConnection } from '../../src/index.js';
import { PoolJar, startPeerServer, useFakeClock, within, useSuiteServer } from '../ws-pool/support.js';
import { expectNoSecrets, secretUrl } from './support.js';

const jar = new PoolJar();
const server = useSuiteServer(() => startPeerServer(), jar);

// Named so the recorded stack can be checked to point here, not into the library.
function borrowForTheReport(pool: Pool): Promise<PooledConnection> {
  return within(pool.acquire(), 5_000, 'acquire');
}

describe('pool.leaks()', () => {
  it('lists connections held longer than the threshold, longest first, with where they were acquired', async () => {
    const pool = jar.add(
      await createPool({
        url: secretUrl(server.url),
        minConns: 3,
        maxConns: 3,
        trackLeaks: true,
        pingIdleAfter: Infinity,
      }),
    );
    useFakeClock();
    const old = await borrowForTheReport(pool);
    await vi.advanceTimersByTimeAsync(5_000);
    const recent = await borrowForTheReport(pool);
    await vi.advanceTimersByTimeAsync(1_000);
    const released = await borrowForTheReport(pool);
    released.release();

    const leaks = pool.leaks(500);
    expect(leaks).toHaveLength(2);
    expect(leaks.map((l) => l.heldMs)).toEqual([6_000, 1_000]);
    for (const leak of leaks) {
      expect(Object.isFrozen(leak)).toBe(true);
      expect(Object.keys(leak).sort()).toEqual(['acquiredAt', 'heldMs', 'url']);
      expect(leak.url).toBe(pool.url);
      expect(leak.acquiredAt).toMatch(/at borrowForTheReport \(.*leaks\.test\.ts:\d+:\d+\)/);
      expectNoSecrets(leak);
    }
    expect(pool.leaks(2_000).map((l) => l.heldMs)).toEqual([6_000]);
    expect(pool.leaks(10_000)).toEqual([]);
    expect(pool.leaks()).toHaveLength(2); // olderThan defaults to 0: everything borrowed

    old.release();
    recent.destroy();
    expect(pool.leaks()).toEqual([]);
  });

  it('points at the test file when the acquire had to dial (an awaiting caller)', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1, trackLeaks: true });
    const conn = await pool.acquire(); // no idle connection: the slow path, across a dial
    const [leak] = pool.leaks();
    expect(leak!.acquiredAt).toMatch(/leaks\.test\.ts:\d+:\d+/);
    conn.release();
  });

  // Known defect, reported to the lead: the stack is captured at hand-out, after the dial's awaits,
  // so the synchronous caller of acquire() is lost; only awaiting async callers survive as async
  // frames. A `.then()` caller gets no frame of its own. Capturing the stack at the start of
  // acquire() fixes it; this test then passes and `.fails` must be removed.
  it('keeps the synchronous caller of an acquire that had to dial', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1, trackLeaks: true });
    const conn = await new Promise<PooledConnection>((resolve, reject) => {
      borrowForTheReport(pool).then(resolve, reject);
    });
    try {
      expect(pool.leaks()[0]!.acquiredAt).toContain('borrowForTheReport');
    } finally {
      conn.release();
    }
  });

  it('is empty without trackLeaks, however long a connection is held', async () => {
    useFakeClock();
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    const conn = await borrowForTheReport(pool);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(pool.leaks(0)).toEqual([]);
    conn.release();
  });
});
