import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isWsPoolError, WsPoolError } from '../../src/errors.js';
import { checkInvariants, FakeFactory, flush, makePool, track } from './fixtures.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('acquire: reuse and growth', () => {
  it('creates when empty, then reuses the most recently released idle resource (LIFO)', async () => {
    const { pool, factory } = makePool({ maxSize: 3 });
    const a = await pool.acquire();
    const b = await pool.acquire();
    const c = await pool.acquire();
    expect(factory.createCalls).toBe(3);
    a.release();
    c.release();
    b.release();
    // Stack bottom → top: a, c, b.
    expect((await pool.acquire()).value).toBe(b.value);
    expect((await pool.acquire()).value).toBe(c.value);
    expect((await pool.acquire()).value).toBe(a.value);
    expect(factory.createCalls).toBe(3);
  });

  it('returns the same Resource object for the same value on every checkout', async () => {
    const { pool } = makePool({ maxSize: 1 });
    const a = await pool.acquire();
    a.release();
    expect(await pool.acquire()).toBe(a);
  });

  it('serves an idle resource synchronously: the promise is already resolved', async () => {
    const { pool } = makePool({ maxSize: 1 });
    (await pool.acquire()).release();
    const outcome = track(pool.acquire());
    await Promise.resolve();
    await Promise.resolve();
    expect(outcome.status).toBe('fulfilled');
  });

  it('grows only while total < maxSize, then queues', async () => {
    const factory = new FakeFactory(false);
    const { pool } = makePool({ maxSize: 2 }, factory);
    const a = track(pool.acquire());
    const b = track(pool.acquire());
    const c = track(pool.acquire());
    await flush();
    expect(factory.pending).toHaveLength(2);
    expect(pool.stat()).toMatchObject({ constructingResources: 2, pendingAcquires: 1, totalResources: 2 });
    factory.succeed();
    factory.succeed();
    await flush();
    expect(a.status).toBe('fulfilled');
    expect(b.status).toBe('fulfilled');
    expect(c.status).toBe('pending');
    a.value?.release();
    await flush();
    expect(c.value).toBe(a.value);
  });
});

describe('acquire: the wait queue', () => {
  it('serves waiters first come first served', async () => {
    const { pool } = makePool({ maxSize: 1 });
    const held = await pool.acquire();
    const order: number[] = [];
    const waits = [1, 2, 3].map((n) =>
      pool.acquire().then((r) => {
        order.push(n);
        r.release();
      }),
    );
    held.release();
    await Promise.all(waits);
    expect(order).toEqual([1, 2, 3]);
  });

  it('a release with waiters queued hands the resource over: it stays acquired', async () => {
    const { pool } = makePool({ maxSize: 1 });
    const held = await pool.acquire();
    const next = track(pool.acquire());
    held.release();
    expect(held.state).toBe('acquired');
    expect(pool.stat()).toMatchObject({ idleResources: 0, acquiredResources: 1, pendingAcquires: 0 });
    await flush();
    expect(next.value).toBe(held);
  });

  it('a new acquire never jumps ahead of queued waiters', async () => {
    const { pool } = makePool({ maxSize: 1 });
    const held = await pool.acquire();
    const first = track(pool.acquire());
    held.release(); // handed to `first` synchronously
    const late = track(pool.acquire()); // must queue: no idle and the pool is full
    await flush();
    expect(first.value).toBe(held);
    expect(late.status).toBe('pending');
    expect(pool.stat().pendingAcquires).toBe(1);
    first.value?.release();
    await flush();
    expect(late.value).toBe(held);
  });

  it('a destroyed resource makes room: the head waiter gets a fresh create', async () => {
    const { pool, factory } = makePool({ maxSize: 1 });
    const held = await pool.acquire();
    const waiting = track(pool.acquire());
    held.destroy();
    expect(pool.stat()).toMatchObject({ pendingAcquires: 0, constructingResources: 1, totalResources: 1 });
    await flush();
    expect(waiting.status).toBe('fulfilled');
    expect(waiting.value?.value.id).toBe(2);
    expect(factory.createCalls).toBe(2);
  });
});

describe('acquire: abort', () => {
  it('an already aborted signal rejects with signal.reason and counts as canceled', async () => {
    const { pool, factory } = makePool({ maxSize: 1 });
    const reason = new Error('caller gave up');
    await expect(pool.acquire({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(pool.stat().canceledAcquireCount).toBe(1);
    expect(factory.createCalls).toBe(0);
  });

  it('aborting a queued acquire rejects with signal.reason, leaves the queue and leaks no slot', async () => {
    const { pool } = makePool({ maxSize: 1 });
    const held = await pool.acquire();
    const ac = new AbortController();
    const waiting = track(pool.acquire({ signal: ac.signal }));
    const other = track(pool.acquire());
    expect(pool.stat().pendingAcquires).toBe(2);
    const reason = new Error('stop');
    ac.abort(reason);
    await flush();
    expect(waiting.error).toBe(reason);
    expect(pool.stat()).toMatchObject({ pendingAcquires: 1, canceledAcquireCount: 1, totalResources: 1 });
    held.release();
    await flush();
    expect(other.value).toBe(held);
  });

  it('the default abort reason is a DOMException AbortError', async () => {
    const { pool } = makePool({ maxSize: 1 });
    await pool.acquire();
    const ac = new AbortController();
    const waiting = pool.acquire({ signal: ac.signal });
    ac.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('removes its abort listener and deadline once settled', async () => {
    const { pool } = makePool({ maxSize: 1 });
    const ac = new AbortController();
    const spy = vi.spyOn(ac.signal, 'removeEventListener');
    const held = await pool.acquire({ signal: ac.signal, timeout: 1000 });
    expect(spy).toHaveBeenCalledTimes(1);
    // The pool's deadline timer is left armed (clearing it per acquire would be a timer per
    // acquire); it fires at the old deadline, finds nothing due and stops.
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(vi.getTimerCount()).toBe(0);
    held.release();
    const queued = pool.acquire({ signal: ac.signal, timeout: 1000 });
    expect(vi.getTimerCount()).toBe(0); // served from idle: no deadline at all
    (await queued).release();
    ac.abort(); // must not reach a settled waiter
    expect(pool.stat().canceledAcquireCount).toBe(0);
    expect(held.state).toBe('idle'); // and the expired deadline did nothing to the resource
  });

  it('queued acquires share one timer, and each times out on its own deadline', async () => {
    const { pool } = makePool({ maxSize: 1 });
    const held = await pool.acquire();
    const waits = [300, 100, 200, 100].map((timeout) => track(pool.acquire({ timeout })));
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(99);
    expect(waits.map((w) => w.status)).toEqual(['pending', 'pending', 'pending', 'pending']);
    await vi.advanceTimersByTimeAsync(1);
    expect(waits.map((w) => w.status)).toEqual(['pending', 'rejected', 'pending', 'rejected']);
    await vi.advanceTimersByTimeAsync(100);
    expect(waits.map((w) => w.status)).toEqual(['pending', 'rejected', 'rejected', 'rejected']);
    held.release(); // served to the oldest acquire still waiting
    await vi.advanceTimersByTimeAsync(0);
    expect(waits[0]?.status).toBe('fulfilled');
    expect(pool.stat().canceledAcquireCount).toBe(3);
    await vi.advanceTimersByTimeAsync(100);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('acquire: timeout', () => {
  it('rejects WSPOOL_ERR_ACQUIRE_TIMEOUT without a cause when no create failed', async () => {
    const { pool } = makePool({ maxSize: 1 });
    const held = await pool.acquire();
    const waiting = track(pool.acquire({ timeout: 100 }));
    await vi.advanceTimersByTimeAsync(99);
    expect(waiting.status).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(isWsPoolError(waiting.error, 'WSPOOL_ERR_ACQUIRE_TIMEOUT')).toBe(true);
    const err = waiting.error as WsPoolError;
    expect(err.message).toMatch(/100 ms/);
    expect('cause' in err).toBe(false);
    expect(pool.stat()).toMatchObject({ canceledAcquireCount: 1, pendingAcquires: 0, totalResources: 1 });
    expect(vi.getTimerCount()).toBe(0);
    held.release();
    expect(pool.stat().idleResources).toBe(1);
  });

  it('carries the last create error as cause', async () => {
    const factory = new FakeFactory(false);
    const { pool } = makePool({ maxSize: 1 }, factory);
    const dialError = new Error('ECONNREFUSED');
    const first = track(pool.acquire());
    await flush();
    factory.fail(dialError);
    await flush();
    expect(first.error).toBe(dialError);
    expect(pool.lastCreateError).toBe(dialError);
    // The next acquire starts its own create, which hangs; its timeout reports the last failure.
    const second = track(pool.acquire({ timeout: 50 }));
    await vi.advanceTimersByTimeAsync(50);
    expect(isWsPoolError(second.error, 'WSPOOL_ERR_ACQUIRE_TIMEOUT')).toBe(true);
    expect((second.error as WsPoolError).cause).toBe(dialError);
  });

  it('clamps a huge finite timeout instead of firing at once', async () => {
    const { pool } = makePool({ maxSize: 1 });
    await pool.acquire();
    const waiting = track(pool.acquire({ timeout: 2 ** 40 }));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(waiting.status).toBe('pending');
    void pool.close({ timeout: 0 });
    await flush();
    expect(isWsPoolError(waiting.error, 'WSPOOL_ERR_POOL_CLOSED')).toBe(true);
  });

  it('timeout 0 takes an idle resource or a free slot, but never queues', async () => {
    const factory = new FakeFactory(false);
    const { pool } = makePool({ maxSize: 1 }, factory);
    const owner = track(pool.acquire({ timeout: 0 }));
    await flush();
    await vi.advanceTimersByTimeAsync(1000); // the create it owns is not timed
    expect(owner.status).toBe('pending');
    factory.succeed();
    await flush();
    expect(owner.status).toBe('fulfilled');
    const refused = track(pool.acquire({ timeout: 0 }));
    await flush();
    expect(isWsPoolError(refused.error, 'WSPOOL_ERR_ACQUIRE_TIMEOUT')).toBe(true);
    expect(pool.stat()).toMatchObject({ pendingAcquires: 0, canceledAcquireCount: 1 });
    owner.value?.release();
    expect(await pool.acquire({ timeout: 0 })).toBe(owner.value);
  });

  it('a timeout on an acquire waiting for its own create rejects, and the create goes on', async () => {
    const factory = new FakeFactory(false);
    const { pool } = makePool({ maxSize: 1 }, factory);
    const owner = track(pool.acquire({ timeout: 100 }));
    await flush();
    await vi.advanceTimersByTimeAsync(100);
    expect(isWsPoolError(owner.error, 'WSPOOL_ERR_ACQUIRE_TIMEOUT')).toBe(true);
    expect(pool.stat()).toMatchObject({ constructingResources: 1, totalResources: 1 });
    factory.succeed();
    await flush();
    expect(pool.stat()).toMatchObject({ idleResources: 1, constructingResources: 0 });
  });

  it('rejects an invalid timeout with WSPOOL_ERR_INVALID_CONFIG', async () => {
    const { pool } = makePool({ maxSize: 1 });
    for (const timeout of [-1, Number.NaN]) {
      await expect(pool.acquire({ timeout })).rejects.toMatchObject({ code: 'WSPOOL_ERR_INVALID_CONFIG' });
    }
    expect(pool.stat().totalResources).toBe(0);
  });
});

describe('acquire: maxWaiting', () => {
  it('rejects WSPOOL_ERR_POOL_EXHAUSTED at once when maxWaiting acquires are queued', async () => {
    const { pool } = makePool({ maxSize: 1, maxWaiting: 2 });
    const held = await pool.acquire();
    const w1 = track(pool.acquire());
    const w2 = track(pool.acquire());
    const w3 = track(pool.acquire());
    await flush();
    expect(isWsPoolError(w3.error, 'WSPOOL_ERR_POOL_EXHAUSTED')).toBe(true);
    expect((w3.error as Error).message).toMatch(/maxWaiting = 2/);
    expect(pool.stat().pendingAcquires).toBe(2);
    held.release();
    await flush();
    expect(w1.value).toBe(held);
    expect(w2.status).toBe('pending');
    // Room again in the queue.
    const w4 = track(pool.acquire());
    await flush();
    expect(w4.status).toBe('pending');
    checkInvariants(pool);
  });

  it('maxWaiting 0 never queues, but an acquire may still create', async () => {
    const { pool } = makePool({ maxSize: 1, maxWaiting: 0 });
    const held = await pool.acquire();
    await expect(pool.acquire()).rejects.toMatchObject({ code: 'WSPOOL_ERR_POOL_EXHAUSTED' });
    held.release();
    expect(await pool.acquire()).toBe(held);
  });
});

describe('acquire: closed pool', () => {
  it('rejects WSPOOL_ERR_POOL_CLOSED after close()', async () => {
    const { pool } = makePool({ maxSize: 1 });
    await pool.close();
    await expect(pool.acquire()).rejects.toMatchObject({ code: 'WSPOOL_ERR_POOL_CLOSED' });
    // Closed wins over an aborted signal: the pool state is the more useful answer.
    await expect(pool.acquire({ signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'WSPOOL_ERR_POOL_CLOSED',
    });
  });
});
