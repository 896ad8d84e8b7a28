// Acquiring from the exclusive Pool against real `ws` servers: reuse order, FIFO waiters, abort and
// timeout (before, while queued, while dialling), failed dials, maxWaiting, withConnection.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { WsPoolError } from '../../src/index.js';
import { freePort, startHttpStatusServer, startSilentTcpServer } from '../helpers/index.js';
import {
  PoolJar,
  gate,
  gauges,
  startPeerServer,
  statOf,
  track,
  turns,
  until,
  useFakeClock,
  whoami,
  within,
  wsErrorOf,
  echo,
  useSuiteServer,
} from './support.js';

let deadUrl: string;
const jar = new PoolJar();
const server = useSuiteServer(() => startPeerServer(), jar);

beforeAll(async () => {
  deadUrl = `ws://127.0.0.1:${await freePort()}`;
});

describe('reuse', () => {
  it('dials on demand, then reuses the most recently released connection first', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 3, pingIdleAfter: Infinity });
    const [a, b, c] = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
    const ids = await Promise.all([whoami(a), whoami(b), whoami(c)]);
    expect(new Set(ids).size).toBe(3);
    expect(gauges(pool)).toEqual({ total: 3, idle: 0, acquired: 3, constructing: 0, pending: 0 });
    a.release();
    c.release();
    b.release();
    expect(gauges(pool)).toEqual({ total: 3, idle: 3, acquired: 0, constructing: 0, pending: 0 });
    const first = await pool.acquire();
    const second = await pool.acquire();
    const third = await pool.acquire();
    expect([await whoami(first), await whoami(second), await whoami(third)]).toEqual([
      ids[1],
      ids[2],
      ids[0],
    ]);
    expect(server.peers.filter((p) => ids.includes(p.id)).every((p) => p.closedWith === undefined)).toBe(
      true,
    );
    for (const conn of [first, second, third]) conn.release();
    expect(statOf(pool).newConnsCount).toBe(3); // never a fourth dial
  });

  it('hands out a working connection: messages round-trip through the handle', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    const conn = await pool.acquire();
    expect(conn.isActive).toBe(true);
    expect(conn.isOpen).toBe(true);
    expect(await echo(conn, 'hello')).toBe('hello');
    await conn.sendBinary(new Uint8Array([1, 2, 3]));
    expect([...(await conn.readBinary())]).toEqual([1, 2, 3]);
    await conn.sendJSON({ a: 1 });
    expect(await conn.readJSON()).toEqual({ a: 1 });
    expect(typeof (await conn.ping())).toBe('number');
    conn.release();
  });
});

describe('FIFO waiters', () => {
  it('serves queued acquires first come, first served', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1, pingIdleAfter: Infinity });
    let current = await pool.acquire();
    const order: string[] = [];
    const names = ['a', 'b', 'c', 'd', 'e'];
    const waits = names.map((name) =>
      pool.acquire().then((conn) => {
        order.push(name);
        return conn;
      }),
    );
    expect(gauges(pool)).toEqual({ total: 1, idle: 0, acquired: 1, constructing: 0, pending: 5 });
    for (const wait of waits) {
      current.release();
      expect(statOf(pool).idleConns).toBe(0); // handed over, never idle while someone waits
      current = await within(wait, 5_000, 'the next waiter');
    }
    expect(order).toEqual(names);
    current.release();
    expect(gauges(pool)).toEqual({ total: 1, idle: 1, acquired: 0, constructing: 0, pending: 0 });
  });

  it('a new acquire never jumps ahead of a queued one, even when it comes right after a release', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1, pingIdleAfter: Infinity });
    const holder = await pool.acquire();
    const queued = track(pool.acquire());
    holder.release();
    const late = track(pool.acquire()); // the connection was just released: it must not take it
    await until(() => queued.status !== 'pending', 'the queued acquire');
    expect(queued.status).toBe('fulfilled');
    await turns();
    expect(late.status).toBe('pending');
    expect(statOf(pool).pendingAcquires).toBe(1);
    queued.value!.release();
    await until(() => late.status !== 'pending', 'the late acquire');
    expect(late.status).toBe('fulfilled');
    late.value!.release();
    expect(statOf(pool).newConnsCount).toBe(1);
  });

  it('a waiter whose turn comes on a destroy gets a fresh dial, still in order', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1, pingIdleAfter: Infinity });
    const holder = await pool.acquire();
    const first = track(pool.acquire());
    const second = track(pool.acquire());
    holder.destroy();
    await until(() => first.status !== 'pending', 'the first waiter');
    expect(first.status).toBe('fulfilled');
    expect(second.status).toBe('pending');
    first.value!.release();
    await until(() => second.status !== 'pending', 'the second waiter');
    second.value!.release();
    expect(statOf(pool).newConnsCount).toBe(2);
  });
});

describe('FIFO across a failed hand-out check', () => {
  // When the connection handed to the oldest waiter fails its check (beforeAcquire false, a failed
  // ping, closed or expired) and nothing else is idle, its replacement is created in the same slot
  // for that waiter (Resource.replace), so the next queued waiter cannot overtake it.
  it('the waiter that was first stays first when its connection fails beforeAcquire', async () => {
    let refuseNext = false;
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      pingIdleAfter: Infinity,
      beforeAcquire: () => {
        if (!refuseNext) return true;
        refuseNext = false;
        return false;
      },
    });
    const holder = await pool.acquire();
    const order: string[] = [];
    const first = pool.acquire().then((conn) => {
      order.push('first');
      return conn;
    });
    const second = pool.acquire().then((conn) => {
      order.push('second');
      return conn;
    });
    refuseNext = true;
    holder.release();
    await until(() => order.length === 1, 'one waiter served');
    (await (order[0] === 'first' ? first : second)).release();
    await until(() => order.length === 2, 'both served');
    (await (order[1] === 'first' ? first : second)).release();
    expect(order).toEqual(['first', 'second']);
  });
});

describe('abort and timeout', () => {
  it('an already-aborted signal rejects with its reason, dials nothing and counts as canceled', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 2 });
    const before = server.peers.length;
    const reason = new Error('caller gave up');
    const error = await within(
      pool.acquire({ signal: AbortSignal.abort(reason) }).catch((e: unknown) => e),
      5_000,
      'acquire',
    );
    expect(error).toBe(reason);
    await turns();
    expect(server.peers.length).toBe(before);
    const s = statOf(pool);
    expect(s.canceledAcquireCount).toBe(1);
    expect(s.totalConns).toBe(0);
    expect(s.acquireCount).toBe(0);
  });

  it('an already-aborted signal rejects even when an idle connection is ready', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    (await pool.acquire()).release();
    const reason = new Error('no');
    await expect(pool.acquire({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(gauges(pool)).toEqual({ total: 1, idle: 1, acquired: 0, constructing: 0, pending: 0 });
    expect(statOf(pool).canceledAcquireCount).toBe(1);
  });

  it('aborting while queued rejects with signal.reason and leaks no slot', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    const holder = await pool.acquire();
    const controller = new AbortController();
    const waiting = track(pool.acquire({ signal: controller.signal }));
    expect(statOf(pool).pendingAcquires).toBe(1);
    const reason = new Error('shutdown');
    controller.abort(reason);
    await until(() => waiting.status !== 'pending', 'the aborted acquire');
    expect(waiting.error).toBe(reason);
    expect(gauges(pool)).toEqual({ total: 1, idle: 0, acquired: 1, constructing: 0, pending: 0 });
    expect(statOf(pool).canceledAcquireCount).toBe(1);
    holder.release();
    expect(gauges(pool)).toEqual({ total: 1, idle: 1, acquired: 0, constructing: 0, pending: 0 });
    const again = await pool.acquire();
    again.release();
  });

  it('the default abort reason is an AbortError DOMException', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    const holder = await pool.acquire();
    const controller = new AbortController();
    const waiting = track(pool.acquire({ signal: controller.signal }));
    controller.abort();
    await until(() => waiting.status !== 'pending', 'the aborted acquire');
    expect((waiting.error as DOMException).name).toBe('AbortError');
    holder.release();
  });

  it('a queued acquire times out with ACQUIRE_TIMEOUT (no cause when no dial failed) and leaks no slot', async () => {
    useFakeClock();
    const pool = jar.pool({ url: server.url, maxConns: 1, healthCheckPeriod: Infinity });
    const holder = await within(pool.acquire(), 5_000, 'first acquire');
    const waiting = track(pool.acquire({ timeout: 100 }));
    await vi.advanceTimersByTimeAsync(99);
    expect(waiting.status).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(waiting.status).toBe('rejected');
    expect(waiting.error).toBeInstanceOf(WsPoolError);
    expect(waiting.error).toMatchObject({ code: 'WSPOOL_ERR_ACQUIRE_TIMEOUT' });
    expect((waiting.error as Error).cause).toBeUndefined();
    expect(gauges(pool)).toEqual({ total: 1, idle: 0, acquired: 1, constructing: 0, pending: 0 });
    expect(statOf(pool).canceledAcquireCount).toBe(1);
    holder.release();
    expect(statOf(pool).idleConns).toBe(1);
  });

  it('acquireTimeout is the default timeout; a per-call timeout overrides it', async () => {
    useFakeClock();
    const pool = jar.pool({ url: server.url, maxConns: 1, acquireTimeout: 300, healthCheckPeriod: Infinity });
    const holder = await within(pool.acquire(), 5_000, 'first acquire');
    const byDefault = track(pool.acquire());
    const longer = track(pool.acquire({ timeout: 1_000 }));
    await vi.advanceTimersByTimeAsync(300);
    expect(byDefault.error).toMatchObject({ code: 'WSPOOL_ERR_ACQUIRE_TIMEOUT' });
    expect(longer.status).toBe('pending');
    await vi.advanceTimersByTimeAsync(700);
    expect(longer.error).toMatchObject({ code: 'WSPOOL_ERR_ACQUIRE_TIMEOUT' });
    expect(statOf(pool).canceledAcquireCount).toBe(2);
    holder.release();
  });

  it('a timeout carries the last dial error as its cause; a dial still in beforeConnect for it is abandoned', async () => {
    useFakeClock();
    const hookError = new Error('token service down');
    const slowDial = gate();
    let calls = 0;
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      healthCheckPeriod: Infinity,
      beforeConnect: async () => {
        calls++;
        if (calls === 1) throw hookError; // the first dial fails
        if (calls === 2) await slowDial.promise; // the second one hangs until the test lets it go
      },
    });
    const failed = await wsErrorOf(pool.acquire(), 'WSPOOL_ERR_CONNECT_FAILED');
    expect(failed.cause).toBe(hookError);
    const waiting = track(pool.acquire({ timeout: 50 }));
    await vi.advanceTimersByTimeAsync(50);
    expect(waiting.error).toMatchObject({ code: 'WSPOOL_ERR_ACQUIRE_TIMEOUT' });
    expect((waiting.error as Error).cause).toBe(failed);
    expect(statOf(pool).canceledAcquireCount).toBe(1);
    // The dial it started was still in its beforeConnect, which ran for this acquire only: it is
    // abandoned (not counted as a failed dial), and the slot is free at once.
    await until(() => pool.stat().constructingConns === 0, 'the abandoned dial to free its slot');
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
    expect(statOf(pool).failedConnectCount).toBe(1);
    slowDial.open();
  });

  it('timeout 0 takes an idle connection or a free slot, and never queues', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    const conn = await pool.acquire({ timeout: 0 }); // a free slot: dials (untimed)
    await wsErrorOf(pool.acquire({ timeout: 0 }), 'WSPOOL_ERR_ACQUIRE_TIMEOUT');
    expect(statOf(pool).pendingAcquires).toBe(0);
    conn.release();
    const again = await pool.acquire({ timeout: 0 }); // idle
    again.release();
    expect(statOf(pool).canceledAcquireCount).toBe(1);
  });

  it('aborting during a dial cancels the wait, not the dial: the connection joins the idle set', async () => {
    const upgrade = gate();
    let upgrades = 0;
    const slow = await startPeerServer({
      verifyClient: (_info, done) => {
        upgrades++;
        void upgrade.promise.then(() => done(true));
      },
    });
    try {
      const pool = jar.pool({ url: slow.url, maxConns: 2, pingIdleAfter: Infinity });
      const controller = new AbortController();
      const dialling = track(pool.acquire({ signal: controller.signal }));
      await until(() => upgrades === 1, 'the upgrade request to reach the server');
      expect(gauges(pool)).toEqual({ total: 1, idle: 0, acquired: 0, constructing: 1, pending: 0 });
      const reason = new Error('too slow');
      controller.abort(reason);
      await until(() => dialling.status !== 'pending', 'the aborted acquire');
      expect(dialling.error).toBe(reason); // at once, while the handshake is still held
      expect(gauges(pool)).toEqual({ total: 1, idle: 0, acquired: 0, constructing: 1, pending: 0 });
      upgrade.open();
      await until(() => pool.stat().idleConns === 1, 'the dial to finish into the idle set');
      expect(gauges(pool)).toEqual({ total: 1, idle: 1, acquired: 0, constructing: 0, pending: 0 });
      const s = statOf(pool);
      expect(s.canceledAcquireCount).toBe(1);
      expect(s.newConnsCount).toBe(1);
      const conn = await pool.acquire();
      expect(slow.peers).toHaveLength(1); // the abandoned dial is reused, not a new one
      expect(await echo(conn, 'x')).toBe('x');
      conn.release();
    } finally {
      await jar.closeAll();
      await slow.close();
    }
  });

  it('a dial abandoned by its acquire goes to the oldest queued waiter', async () => {
    const hold = gate();
    let first = true;
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      beforeConnect: async () => {
        if (first) {
          first = false;
          await hold.promise;
        }
      },
    });
    const controller = new AbortController();
    const owner = track(pool.acquire({ signal: controller.signal }));
    const queued = track(pool.acquire());
    expect(gauges(pool)).toEqual({ total: 1, idle: 0, acquired: 0, constructing: 1, pending: 1 });
    controller.abort();
    await until(() => owner.status === 'rejected', 'the owner to give up');
    hold.open();
    await until(() => queued.status !== 'pending', 'the queued acquire');
    expect(queued.status).toBe('fulfilled');
    expect(gauges(pool)).toEqual({ total: 1, idle: 0, acquired: 1, constructing: 0, pending: 0 });
    queued.value!.release();
  });
});

describe('failed dials', () => {
  it('a dead port rejects CONNECT_FAILED (cause ECONNREFUSED) and frees the slot', async () => {
    const pool = jar.pool({ url: deadUrl, maxConns: 1 });
    const error = await wsErrorOf(pool.acquire(), 'WSPOOL_ERR_CONNECT_FAILED');
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
    const s = statOf(pool);
    expect(s.failedConnectCount).toBe(1);
    expect(s.newConnsCount).toBe(0);
    expect(s.acquireCount).toBe(0);
  });

  it('every queued acquire is woken and rejected by its own dial: none hangs', async () => {
    const pool = jar.pool({ url: deadUrl, maxConns: 2 });
    const all = Array.from({ length: 8 }, () => pool.acquire().catch((e: unknown) => e));
    const errors = await within(Promise.all(all), 5_000, 'every acquire against a dead port');
    for (const error of errors) expect(error).toMatchObject({ code: 'WSPOOL_ERR_CONNECT_FAILED' });
    expect(statOf(pool).failedConnectCount).toBe(8);
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
  });

  it('a failed dial wakes the next waiter, whose own dial succeeds', async () => {
    let calls = 0;
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      beforeConnect: () => {
        if (++calls === 1) throw new Error('first dial fails');
      },
    });
    const first = track(pool.acquire());
    const second = track(pool.acquire());
    await until(() => first.status !== 'pending' && second.status !== 'pending', 'both acquires');
    expect(first.error).toMatchObject({ code: 'WSPOOL_ERR_CONNECT_FAILED' });
    expect(second.status).toBe('fulfilled');
    expect(gauges(pool)).toEqual({ total: 1, idle: 0, acquired: 1, constructing: 0, pending: 0 });
    second.value!.release();
  });

  it('an HTTP answer instead of 101 rejects CONNECT_FAILED with the status', async () => {
    const http = await startHttpStatusServer(403);
    try {
      const pool = jar.pool({ url: http.url, maxConns: 1 });
      const error = await wsErrorOf(pool.acquire(), 'WSPOOL_ERR_CONNECT_FAILED');
      expect(error.status).toBe(403);
      expect(statOf(pool).totalConns).toBe(0);
    } finally {
      await jar.closeAll();
      await http.close();
    }
  });

  it('a handshake that never finishes rejects CONNECT_TIMEOUT after connectTimeout', async () => {
    const silent = await startSilentTcpServer();
    try {
      useFakeClock();
      const pool = jar.pool({
        url: silent.url,
        maxConns: 1,
        connectTimeout: 2_000,
        healthCheckPeriod: Infinity,
      });
      const dialling = track(pool.acquire());
      await until(() => silent.accepted === 1, 'the TCP connection');
      await vi.advanceTimersByTimeAsync(1_999);
      expect(dialling.status).toBe('pending');
      await vi.advanceTimersByTimeAsync(1);
      await until(() => dialling.status !== 'pending', 'the connect timeout');
      expect(dialling.error).toMatchObject({ code: 'WSPOOL_ERR_CONNECT_TIMEOUT' });
      expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
    } finally {
      vi.useRealTimers();
      await jar.closeAll();
      await silent.close();
    }
  });
});

describe('acquire options', () => {
  it.each([
    ['a negative timeout', { timeout: -1 }],
    ['a NaN timeout', { timeout: NaN }],
    ['a signal that is not an AbortSignal', { signal: {} as AbortSignal }],
  ])('%s rejects INVALID_CONFIG, even when an idle connection is ready', async (_label, options) => {
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    await wsErrorOf(pool.acquire(options), 'WSPOOL_ERR_INVALID_CONFIG');
    (await pool.acquire()).release();
    await wsErrorOf(pool.acquire(options), 'WSPOOL_ERR_INVALID_CONFIG');
    expect(gauges(pool)).toEqual({ total: 1, idle: 1, acquired: 0, constructing: 0, pending: 0 });
  });
});

describe('maxWaiting', () => {
  it('rejects POOL_EXHAUSTED at once beyond maxWaiting queued acquires', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1, maxWaiting: 1 });
    const holder = await pool.acquire();
    const queued = track(pool.acquire());
    await wsErrorOf(pool.acquire(), 'WSPOOL_ERR_POOL_EXHAUSTED');
    expect(statOf(pool).pendingAcquires).toBe(1);
    holder.release();
    await until(() => queued.status === 'fulfilled', 'the queued acquire');
    queued.value!.release();
  });
});

describe('withConnection', () => {
  it('returns the callback result and releases', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    const reply = await pool.withConnection((conn) => echo(conn, 'ping'));
    expect(reply).toBe('ping');
    expect(gauges(pool)).toEqual({ total: 1, idle: 1, acquired: 0, constructing: 0, pending: 0 });
  });

  it('releases with the error when the callback throws (destroying the connection), and rethrows', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    const boom = new Error('boom');
    let seen: unknown;
    await expect(
      pool.withConnection((conn) => {
        seen = conn;
        return Promise.reject(boom);
      }),
    ).rejects.toBe(boom);
    // A reply to the failed work may still come: the connection is not reused.
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
    expect(statOf(pool).errorReleaseCount).toBe(1);
    await wsErrorOf((seen as { send(s: string): Promise<void> }).send('x'), 'WSPOOL_ERR_CONN_RELEASED');
  });

  it('passes acquire options through (timeout)', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    const holder = await pool.acquire();
    await wsErrorOf(
      pool.withConnection(() => Promise.resolve(1), { timeout: 0 }),
      'WSPOOL_ERR_ACQUIRE_TIMEOUT',
    );
    holder.release();
  });
});
