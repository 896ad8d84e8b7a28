import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ResourcePool } from '../../src/pool/index.js';
import { FakeFactory, flush, makePool, track, type Fake } from './fixtures.js';

const T0 = Date.UTC(2025, 0, 1);

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Resource timestamps', () => {
  it('createdAt, lastUsedAt, acquiredAt and idleDuration follow the clock', async () => {
    const { pool } = makePool({ maxSize: 1 });
    const r = await pool.acquire();
    expect(r.createdAt).toBe(T0);
    expect(r.lastUsedAt).toBe(T0);
    expect(r.acquiredAt).toBe(T0);
    vi.setSystemTime(T0 + 100);
    r.release();
    expect(r.lastUsedAt).toBe(T0 + 100);
    vi.setSystemTime(T0 + 350);
    expect(r.idleDuration).toBe(250);
    const again = await pool.acquire();
    expect(again.acquiredAt).toBe(T0 + 350);
    expect(again.lastUsedAt).toBe(T0 + 100);
    expect(again.createdAt).toBe(T0);
  });

  it('releaseUnused() puts it back without touching lastUsedAt', async () => {
    const { pool } = makePool({ maxSize: 1 });
    const r = await pool.acquire();
    vi.setSystemTime(T0 + 500);
    r.releaseUnused();
    expect(r.state).toBe('idle');
    expect(r.lastUsedAt).toBe(T0);
    expect(r.idleDuration).toBe(500);
  });

  it('releaseUnused() with a waiter queued hands it over, lastUsedAt unchanged', async () => {
    const { pool } = makePool({ maxSize: 1 });
    const r = await pool.acquire();
    const waiting = track(pool.acquire());
    vi.setSystemTime(T0 + 10);
    r.releaseUnused();
    await flush();
    expect(waiting.value).toBe(r);
    expect(r.lastUsedAt).toBe(T0);
    expect(r.acquiredAt).toBe(T0 + 10);
  });
});

describe('Resource state transitions', () => {
  it('acquired → idle → acquired → destroyed; release and destroy are idempotent', async () => {
    const { pool, factory } = makePool({ maxSize: 1 });
    const r = await pool.acquire();
    expect(r.state).toBe('acquired');
    r.release();
    expect(r.state).toBe('idle');
    r.release(); // no-op: not acquired
    r.releaseUnused();
    expect(pool.stat()).toMatchObject({ idleResources: 1, acquiredResources: 0 });
    await pool.acquire();
    r.destroy();
    expect(r.state).toBe('destroyed');
    r.destroy();
    r.release();
    expect(factory.destroyed).toEqual([{ value: r.value, forced: false }]);
    expect(pool.stat()).toMatchObject({ totalResources: 0, destroyedCount: 1 });
  });

  it('destroying an idle resource takes it out of the middle of the stack', async () => {
    const { pool, factory } = makePool({ maxSize: 3 });
    const [a, b, c] = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
    a.release();
    b.release();
    c.release();
    b.destroy();
    expect(pool.stat()).toMatchObject({ idleResources: 2, totalResources: 2 });
    expect(pool.idleResources).toEqual([a, c]);
    expect(factory.destroyed.map((d) => d.value)).toEqual([b.value]);
    expect(await pool.acquire()).toBe(c);
    expect(await pool.acquire()).toBe(a);
  });

  it('destroying an acquired resource frees its slot at once', async () => {
    const factory = new FakeFactory(false);
    const { pool } = makePool({ maxSize: 1 }, factory);
    const first = track(pool.acquire());
    await flush();
    factory.succeed();
    await flush();
    const r = first.value;
    r?.destroy();
    expect(pool.stat().totalResources).toBe(0);
    const second = track(pool.acquire());
    await flush();
    expect(factory.pending).toHaveLength(1);
    factory.succeed();
    await flush();
    expect(second.status).toBe('fulfilled');
  });

  it('a throwing or rejecting destroy callback never corrupts the pool', async () => {
    const { pool, factory } = makePool({ maxSize: 2 });
    const a = await pool.acquire();
    const b = await pool.acquire();
    factory.destroyThrows = new Error('destroy threw');
    a.destroy();
    factory.destroyThrows = undefined;
    factory.destroyResult = Promise.reject(new Error('destroy rejected'));
    b.destroy();
    await flush();
    expect(pool.stat()).toMatchObject({ totalResources: 0, destroyedCount: 2 });
    factory.destroyResult = undefined;
    const c = await pool.acquire();
    c.release();
    await expect(pool.close()).resolves.toBeUndefined();
  });

  it('calls create and destroy without `this`', async () => {
    const thisValues: unknown[] = [];
    const pool = new ResourcePool<Fake>({
      maxSize: 1,
      create: function (this: unknown) {
        thisValues.push(this);
        return Promise.resolve({ id: 1 });
      },
      destroy: function (this: unknown) {
        thisValues.push(this);
      },
    });
    (await pool.acquire()).destroy();
    expect(thisValues).toEqual([undefined, undefined]);
  });
});

describe('acquireAllIdle and idleResources', () => {
  it('takes every idle resource, least recently released first, without counting acquires', async () => {
    const { pool } = makePool({ maxSize: 3 });
    const [a, b, c] = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
    c.release();
    a.release();
    b.release();
    const before = pool.stat().acquireCount;
    vi.setSystemTime(T0 + 42);
    const all = pool.acquireAllIdle();
    expect(all).toEqual([c, a, b]);
    expect(all.every((r) => r.state === 'acquired' && r.acquiredAt === T0 + 42)).toBe(true);
    expect(pool.stat()).toMatchObject({ idleResources: 0, acquiredResources: 3, acquireCount: before });
    expect(pool.acquireAllIdle()).toEqual([]);
  });

  it('releaseUnused() in array order restores the idle stack as it was', async () => {
    const { pool } = makePool({ maxSize: 3 });
    const [a, b, c] = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
    a.release();
    b.release();
    c.release();
    const order = pool.idleResources;
    for (const r of pool.acquireAllIdle()) r.releaseUnused();
    expect(pool.idleResources).toEqual(order);
    expect(await pool.acquire()).toBe(c);
  });

  it('idleResources is a frozen snapshot', async () => {
    const { pool } = makePool({ maxSize: 2 });
    const [a, b] = await Promise.all([pool.acquire(), pool.acquire()]);
    a.release();
    b.release();
    const snapshot = pool.idleResources;
    expect(Object.isFrozen(snapshot)).toBe(true);
    for (const r of snapshot) r.destroy(); // safe while iterating: it is a copy
    expect(snapshot).toHaveLength(2);
    expect(pool.idleResources).toEqual([]);
  });

  it('a resource destroyed from acquireAllIdle with waiters queued starts a create for them', async () => {
    const { pool } = makePool({ maxSize: 1 });
    (await pool.acquire()).release();
    const [r] = pool.acquireAllIdle();
    const waiting = track(pool.acquire());
    r?.destroy();
    await flush();
    expect(waiting.status).toBe('fulfilled');
    expect(waiting.value).not.toBe(r);
  });
});
