// ResourcePool.acquireThrough(): the lender turns the resource into the caller's value at the
// moment of hand-over (release, create finished, idle pop), and hears about cancellations.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Lender } from '../../src/pool/lender.js';
import type { Resource } from '../../src/pool/resource.js';
import { FakeFactory, checkInvariants, flush, makePool, track, type Fake } from './fixtures.js';
import { useFakeClock } from '../helpers/async.js';

interface Lent {
  resource: Resource<Fake>;
  waited: number;
  context: string;
  /** The resource's state while `lend` ran: it must already be acquired. */
  stateDuringLend: string;
}

/** A lender that records every call and wraps the resource in a plain object. */
function recordingLender(): Lender<Fake, Lent, string> & { lent: Lent[]; canceledWith: string[] } {
  const lent: Lent[] = [];
  const canceledWith: string[] = [];
  return {
    lent,
    canceledWith,
    lend(resource, waited, context) {
      const value = { resource, waited, context, stateDuringLend: resource.state };
      lent.push(value);
      return value;
    },
    canceled(context) {
      canceledWith.push(context);
    },
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('ResourcePool.acquireThrough()', () => {
  it('lends an idle resource at once, with 0 ms waited', async () => {
    const { pool } = makePool({ maxSize: 1 });
    (await pool.acquire()).release();
    const lender = recordingLender();
    const value = await pool.acquireThrough(lender, 'idle');
    expect(value).toBe(lender.lent[0]);
    expect(value).toMatchObject({ waited: 0, context: 'idle', stateDuringLend: 'acquired' });
    expect(checkInvariants(pool)).toMatchObject({
      acquiredResources: 1,
      acquireCount: 2,
      emptyAcquireCount: 1,
    });
  });

  it('lends inside the release() that serves a queued acquire, with the time it waited', async () => {
    useFakeClock();
    const { pool } = makePool({ maxSize: 1 });
    const held = await pool.acquire();
    const lender = recordingLender();
    const queued = track(pool.acquireThrough(lender, 'queued'));
    await vi.advanceTimersByTimeAsync(40);
    expect(lender.lent).toHaveLength(0);
    held.release();
    // Synchronously, before any microtask: the hand-over itself ran the lender.
    expect(lender.lent).toHaveLength(1);
    expect(lender.lent[0]).toMatchObject({ waited: 40, context: 'queued', stateDuringLend: 'acquired' });
    expect(lender.lent[0]!.resource).toBe(held);
    await flush();
    expect(queued.value).toBe(lender.lent[0]);
    expect(checkInvariants(pool)).toMatchObject({ emptyAcquireWaitTime: 40, pendingAcquires: 0 });
  });

  it('lends the resource its own create produced', async () => {
    const factory = new FakeFactory(false);
    const { pool } = makePool({ maxSize: 1 }, factory);
    const lender = recordingLender();
    const acquired = track(pool.acquireThrough(lender, 'creator'));
    await flush();
    expect(lender.lent).toHaveLength(0);
    const fake = factory.succeed();
    await flush();
    expect(acquired.value?.resource.value).toBe(fake);
    expect(acquired.value?.context).toBe('creator');
  });

  it('resolves with the promise lend returns (a check that needs I/O)', async () => {
    const { pool } = makePool({ maxSize: 1 });
    const lender: Lender<Fake, string, undefined> = {
      lend: (resource) => Promise.resolve(`checked #${resource.value.id}`),
      canceled: () => {},
    };
    await expect(pool.acquireThrough(lender, undefined)).resolves.toBe('checked #1');
  });

  it('a throwing lend rejects that acquire and destroys the resource, and the pool carries on', async () => {
    const { pool, factory } = makePool({ maxSize: 1 });
    const held = await pool.acquire();
    const boom = new Error('lender bug');
    const lender: Lender<Fake, never, undefined> = {
      lend: () => {
        throw boom;
      },
      canceled: () => {},
    };
    const failed = track(pool.acquireThrough(lender, undefined));
    const next = track(pool.acquire());
    held.release();
    await flush();
    expect(failed.error).toBe(boom);
    expect(factory.destroyed.map((d) => d.value.id)).toEqual([held.value.id]);
    // The slot freed by the destroy went to the next queued acquire as a fresh create.
    expect(next.value?.value.id).toBe(2);
    checkInvariants(pool);
  });

  it('tells the lender when an acquire gives up on its timeout or signal, and counts it once', async () => {
    useFakeClock();
    const { pool } = makePool({ maxSize: 1 });
    const held = await pool.acquire();
    const lender = recordingLender();
    const timedOut = track(pool.acquireThrough(lender, 'timeout', { timeout: 10 }));
    const controller = new AbortController();
    const aborted = track(pool.acquireThrough(lender, 'abort', { signal: controller.signal }));
    const preAborted = track(pool.acquireThrough(lender, 'pre-aborted', { signal: AbortSignal.abort() }));
    await vi.advanceTimersByTimeAsync(10);
    controller.abort(new Error('caller left'));
    await flush();
    expect(timedOut.error).toMatchObject({ code: 'WSPOOL_ERR_ACQUIRE_TIMEOUT' });
    expect((aborted.error as Error).message).toBe('caller left');
    expect(preAborted.status).toBe('rejected');
    expect(lender.canceledWith).toEqual(['pre-aborted', 'timeout', 'abort']);
    expect(pool.stat().canceledAcquireCount).toBe(3);
    // A canceled acquire is never lent to: the release goes to idle.
    held.release();
    expect(lender.lent).toHaveLength(0);
    expect(checkInvariants(pool).idleResources).toBe(1);
  });

  it('does not call canceled for a close or an exhausted queue', async () => {
    const { pool } = makePool({ maxSize: 1, maxWaiting: 1 });
    await pool.acquire();
    const lender = recordingLender();
    const queued = track(pool.acquireThrough(lender, 'queued'));
    const exhausted = track(pool.acquireThrough(lender, 'exhausted'));
    await flush();
    expect(exhausted.error).toMatchObject({ code: 'WSPOOL_ERR_POOL_EXHAUSTED' });
    const closing = pool.close({ timeout: 0 });
    await flush();
    expect(queued.error).toMatchObject({ code: 'WSPOOL_ERR_POOL_CLOSED' });
    await closing;
    expect(lender.canceledWith).toEqual([]);
    expect(lender.lent).toEqual([]);
  });
});
