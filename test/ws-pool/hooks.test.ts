// Pool hooks against a real server: beforeConnect (refresh URL and headers per dial), afterConnect
// (on every new connection; a throw discards it), greeting isolation, beforeAcquire (every hand-out,
// retry bound), afterRelease, beforeClose. A hook that throws never corrupts pool state.
import { describe, expect, it, vi } from 'vitest';
import type { Connection } from '../../src/index.js';
import {
  PoolJar,
  echo,
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
  useSuiteServer,
} from './support.js';

const jar = new PoolJar();
const server = useSuiteServer(() => startPeerServer(), jar);

/** After a hook misbehaved: invariants hold and the pool still lends a working connection. */
async function stillWorks(pool: ReturnType<PoolJar['pool']>): Promise<void> {
  statOf(pool);
  const conn = await within(pool.acquire(), 5_000, 'an acquire after the failure');
  expect(await echo(conn, 'ok')).toBe('ok');
  conn.release();
  const s = statOf(pool);
  expect(s.acquiredConns).toBe(0);
  expect(s.pendingAcquires).toBe(0);
}

describe('beforeConnect', () => {
  it('can change the URL and headers of each dial (a refreshed token per connection)', async () => {
    let token = 0;
    const pool = jar.pool({
      url: `${server.url}/v1?region=eu`,
      maxConns: 2,
      headers: { 'x-static': 'kept' },
      beforeConnect: async (ctx) => {
        await Promise.resolve(); // async hooks are awaited
        token++;
        ctx.headers.authorization = `Bearer t${token}`;
        ctx.url.pathname = '/v2';
        ctx.url.searchParams.set('token', `t${token}`);
      },
    });
    const first = await pool.acquire();
    const second = await pool.acquire();
    const [a, b] = [server.peer(await whoami(first)), server.peer(await whoami(second))];
    expect(a.headers.authorization).toBe('Bearer t1');
    expect(b.headers.authorization).toBe('Bearer t2');
    expect(a.headers['x-static']).toBe('kept');
    expect(a.path).toBe('/v2?region=eu&token=t1');
    expect(b.path).toBe('/v2?region=eu&token=t2');
    // The hook's changes never leak into the pool's own config or redacted URL.
    expect(pool.url).not.toContain('t1');
    first.release();
    second.release();
  });

  it('gets a fresh copy each time: a header set for one dial is not seen by the next', async () => {
    const seen: (string | undefined)[] = [];
    let n = 0;
    const pool = jar.pool({
      url: server.url,
      maxConns: 2,
      beforeConnect: (ctx) => {
        seen.push(ctx.headers['x-once']);
        if (n++ === 0) ctx.headers['x-once'] = 'first only';
      },
    });
    const [a, b] = await Promise.all([pool.acquire(), pool.acquire()]);
    expect(seen).toEqual([undefined, undefined]);
    a.release();
    b.release();
  });

  it('a throw fails that dial with CONNECT_FAILED (cause: the throw), dials nothing, and the pool stays sound', async () => {
    const boom = new Error('vault unreachable');
    let fail = true;
    const pool = jar.pool({
      url: server.url,
      maxConns: 2,
      beforeConnect: () => {
        if (fail) throw boom;
      },
    });
    const before = server.peers.length;
    const error = await wsErrorOf(pool.acquire(), 'WSPOOL_ERR_CONNECT_FAILED');
    expect(error.cause).toBe(boom);
    expect(error.message).toContain('vault unreachable');
    expect(server.peers.length).toBe(before);
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
    expect(statOf(pool).failedConnectCount).toBe(1);
    fail = false;
    await stillWorks(pool);
  });
});

describe('afterConnect', () => {
  it('runs once on each new connection, never on reuse', async () => {
    const seen: Connection[] = [];
    const pool = jar.pool({
      url: server.url,
      maxConns: 2,
      pingIdleAfter: Infinity,
      afterConnect: async (conn) => {
        seen.push(conn);
        await conn.sendMessage('auth'); // the hook may talk on the connection
        expect(await conn.readMessage()).toBe('auth');
      },
    });
    const [a, b] = await Promise.all([pool.acquire(), pool.acquire()]);
    a.release();
    b.release();
    for (let i = 0; i < 5; i++) (await pool.acquire()).release();
    expect(seen).toHaveLength(2);
    expect(seen[0]).not.toBe(seen[1]);
    expect(statOf(pool).newConnsCount).toBe(2);
  });

  it('a throw discards the connection (the server sees it closed) and rejects CONNECT_FAILED with the throw as cause', async () => {
    const boom = new Error('auth rejected');
    let fail = true;
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      afterConnect: () => {
        if (fail) throw boom;
      },
    });
    const before = server.peers.length;
    const error = await wsErrorOf(pool.acquire(), 'WSPOOL_ERR_CONNECT_FAILED');
    expect(error.cause).toBe(boom);
    expect(server.peers.length).toBe(before + 1);
    const discarded = server.peers[server.peers.length - 1]!;
    await until(() => discarded.closedWith !== undefined, 'the discarded socket to close');
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
    expect(statOf(pool).failedConnectCount).toBe(1);
    expect(statOf(pool).newConnsCount).toBe(0);
    fail = false;
    await stillWorks(pool);
  });

  it('a greeting the server sends is discarded before the first hand-out', async () => {
    const greeter = await startPeerServer({ greeting: 'welcome!' });
    try {
      const pool = jar.pool({
        url: greeter.url,
        maxConns: 1,
        // A ping round trip: the greeting, sent before the pong, has arrived when it resolves.
        afterConnect: async (conn) => {
          await conn.ping();
        },
      });
      const conn = await pool.acquire();
      expect(conn.pendingMessages).toBe(0);
      expect(await echo(conn, 'mine')).toBe('mine');
      conn.release();
      expect(statOf(pool).discardedMessages).toBe(1);
    } finally {
      await jar.closeAll();
      await greeter.close();
    }
  });

  it('a greeting that arrives while the fresh connection idles is discarded too', async () => {
    const greeter = await startPeerServer({ greeting: 'hello there' });
    try {
      const pool = jar.pool({ url: greeter.url, minConns: 1, maxConns: 1 });
      await until(
        () => pool.stat().idleConns === 1 && pool.stat().discardedMessages === 1,
        'fill + greeting',
      );
      const conn = await pool.acquire();
      expect(await echo(conn, 'first read is mine')).toBe('first read is mine');
      conn.release();
    } finally {
      await jar.closeAll();
      await greeter.close();
    }
  });
});

describe('beforeAcquire', () => {
  it('runs on every hand-out, fresh dials included, with the connection', async () => {
    const seen: Connection[] = [];
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      beforeAcquire: (conn) => {
        seen.push(conn);
        return true;
      },
    });
    for (let i = 0; i < 3; i++) (await pool.acquire()).release();
    await pool.withConnection(() => Promise.resolve());
    expect(seen).toHaveLength(4);
    expect(new Set(seen).size).toBe(1);
    expect(seen[0]!.isOpen).toBe(true);
    expect(statOf(pool).acquireCount).toBe(4);
  });

  it('can talk on the connection (e.g. reset session state); what it leaves unread is not handed to the borrower', async () => {
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      pingIdleAfter: Infinity,
      beforeAcquire: async (conn) => {
        await conn.sendMessage('reset');
        expect(await conn.readMessage({ timeout: 2_000 })).toBe('reset');
        await conn.sendMessage('left over'); // its echo arrives after the hook: discarded, not lent
        await conn.ping(); // ...and has arrived by now (sent before the pong)
        return true;
      },
    });
    for (let i = 0; i < 3; i++) {
      const conn = await within(pool.acquire(), 5_000, 'acquire');
      expect(conn.pendingMessages).toBe(0);
      expect(await echo(conn, `mine ${i}`)).toBe(`mine ${i}`);
      conn.release();
    }
    expect(statOf(pool).discardedMessages).toBe(3);
  });

  it('false destroys that connection and tries another', async () => {
    let calls = 0;
    const pool = jar.pool({
      url: server.url,
      maxConns: 3,
      pingIdleAfter: Infinity,
      beforeAcquire: async () => {
        await Promise.resolve();
        return ++calls > 2; // the first two are refused
      },
    });
    const before = server.peers.length;
    const conn = await pool.acquire();
    expect(calls).toBe(3);
    const id = await whoami(conn);
    expect(server.peers.length).toBe(before + 3);
    const refused = server.peers.slice(before).filter((p) => p.id !== id);
    await until(() => refused.every((p) => p.closedWith !== undefined), 'the refused ones to close');
    expect(gauges(pool)).toEqual({ total: 1, idle: 0, acquired: 1, constructing: 0, pending: 0 });
    conn.release();
  });

  it('false for every connection rejects ACQUIRE_FAILED after maxConns + 1 tries, with nothing leaked', async () => {
    let calls = 0;
    const pool = jar.pool({
      url: server.url,
      maxConns: 3,
      beforeAcquire: () => {
        calls++;
        return false;
      },
    });
    await wsErrorOf(pool.acquire(), 'WSPOOL_ERR_ACQUIRE_FAILED');
    expect(calls).toBe(4);
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
    expect(statOf(pool).acquireCount).toBe(0);
  });

  it('a throw rejects ACQUIRE_FAILED with the throw as cause, discards the connection, and the pool stays sound', async () => {
    const boom = new Error('hook bug');
    let fail = true;
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      beforeAcquire: () => {
        if (fail) throw boom;
      },
    });
    const error = await wsErrorOf(pool.acquire(), 'WSPOOL_ERR_ACQUIRE_FAILED');
    expect(error.cause).toBe(boom);
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
    fail = false;
    await stillWorks(pool);
  });
});

describe('beforeAcquire and what happens meanwhile', () => {
  it('an acquire aborted while beforeAcquire runs rejects with the reason at once; the connection is destroyed', async () => {
    const verdict = gate<boolean>();
    let entered = false;
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      beforeAcquire: () => {
        entered = true;
        return verdict.promise;
      },
    });
    const controller = new AbortController();
    const acquiring = track(pool.acquire({ signal: controller.signal }));
    await until(() => entered, 'beforeAcquire');
    const reason = new Error('gave up');
    controller.abort(reason);
    await until(() => acquiring.status !== 'pending', 'the acquire');
    expect(acquiring.error).toBe(reason); // not a handle nobody would ever release
    verdict.open(true); // too late: the hook may have left the connection half-reset
    await turns();
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
    expect(statOf(pool).canceledAcquireCount).toBe(1);
    expect(statOf(pool).acquireCount).toBe(0);
  });

  it('a socket that closes while beforeAcquire runs is not handed out: another one is', async () => {
    const verdict = gate<boolean>();
    let calls = 0;
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      beforeAcquire: () => (++calls === 1 ? verdict.promise : true),
    });
    const acquiring = track(pool.acquire());
    await until(() => calls === 1, 'beforeAcquire');
    const first = server.peers[server.peers.length - 1]!;
    first.ws.close(4003, 'bye');
    await until(() => first.closedWith !== undefined, 'the close');
    verdict.open(true);
    await until(() => acquiring.status !== 'pending', 'the acquire');
    const conn = acquiring.value!;
    expect(conn.isOpen).toBe(true);
    expect(await whoami(conn)).not.toBe(first.id);
    conn.release();
  });
});

describe('afterRelease', () => {
  it('false destroys the connection instead of pooling it', async () => {
    let keep = false;
    const pool = jar.pool({ url: server.url, maxConns: 1, afterRelease: () => keep });
    const conn = await pool.acquire();
    const id = await whoami(conn);
    conn.release();
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
    await until(() => server.peer(id).closedWith !== undefined, 'the server to see the close');
    keep = true;
    const again = await pool.acquire();
    again.release();
    expect(gauges(pool)).toEqual({ total: 1, idle: 1, acquired: 0, constructing: 0, pending: 0 });
  });

  it('can talk on the connection (e.g. unsubscribe) and read the reply; the next borrower starts clean', async () => {
    let replies = 0;
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      pingIdleAfter: Infinity,
      afterRelease: async (conn) => {
        await conn.sendMessage('unsubscribe');
        if ((await conn.readMessage({ timeout: 2_000 })) === 'unsubscribe') replies++;
        await conn.sendMessage('left over');
        await conn.ping(); // the left-over echo has arrived by now
        return true;
      },
    });
    for (let i = 0; i < 3; i++) {
      const conn = await within(pool.acquire(), 5_000, 'acquire');
      expect(conn.pendingMessages).toBe(0);
      expect(await echo(conn, `mine ${i}`)).toBe(`mine ${i}`);
      conn.release();
      await until(() => pool.stat().idleConns === 1, 'the release to finish');
    }
    expect(replies).toBe(3);
    expect(statOf(pool).discardedMessages).toBe(3);
  });

  it('an async verdict is awaited; the slot stays taken meanwhile', async () => {
    const verdict = gate<boolean>();
    const pool = jar.pool({ url: server.url, maxConns: 1, afterRelease: () => verdict.promise });
    const conn = await pool.acquire();
    const waiting = track(pool.acquire());
    conn.release();
    expect(gauges(pool)).toEqual({ total: 1, idle: 0, acquired: 1, constructing: 0, pending: 1 });
    verdict.open(false);
    await until(() => waiting.status !== 'pending', 'the waiter');
    expect(waiting.status).toBe('fulfilled'); // on a fresh connection: the old one was destroyed
    expect(statOf(pool).newConnsCount).toBe(2);
    waiting.value!.release();
  });

  it('a socket that closes while afterRelease runs is not put back idle', async () => {
    const verdict = gate<boolean>();
    const pool = jar.pool({ url: server.url, maxConns: 1, afterRelease: () => verdict.promise });
    const conn = await pool.acquire();
    const id = await whoami(conn);
    conn.release();
    server.peer(id).ws.terminate();
    await until(() => server.peer(id).closedWith !== undefined, 'the drop');
    await turns(5);
    verdict.open(true);
    await until(() => pool.stat().totalConns === 0, 'the closed connection to leave');
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
  });

  it('a throw (sync or async) destroys the connection and leaves the pool sound', async () => {
    let mode: 'sync' | 'async' | 'ok' = 'sync';
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      afterRelease: () => {
        if (mode === 'sync') throw new Error('sync');
        if (mode === 'async') return Promise.reject(new Error('async'));
        return true;
      },
    });
    (await pool.acquire()).release();
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
    mode = 'async';
    (await pool.acquire()).release();
    await until(() => pool.stat().totalConns === 0, 'the async rejection to destroy it');
    mode = 'ok';
    await stillWorks(pool);
    expect(statOf(pool).idleConns).toBe(1);
  });

  it('gets the connection with the borrower’s unread messages already discarded', async () => {
    let pendingSeen = -1;
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      afterRelease: (conn) => {
        pendingSeen = conn.pendingMessages;
      },
    });
    const conn = await pool.acquire();
    await conn.sendMessage('unread');
    await until(() => conn.pendingMessages === 1, 'the echo');
    conn.release();
    expect(pendingSeen).toBe(0);
    expect(statOf(pool).discardedMessages).toBe(1);
  });
});

describe('beforeClose', () => {
  it('runs before a pooled connection is closed: on destroy, on afterRelease false, and on pool close', async () => {
    const openInHook: boolean[] = [];
    let refuse = false;
    const pool = jar.pool({
      url: server.url,
      maxConns: 3,
      afterRelease: () => !refuse,
      beforeClose: async (conn) => {
        openInHook.push(conn.isOpen);
        await conn.sendMessage('last words'); // the socket is still usable in the hook
      },
    });
    const [a, b] = await Promise.all([pool.acquire(), pool.acquire()]);
    const idA = await whoami(a);
    const idB = await whoami(b);
    a.destroy();
    await until(() => server.peer(idA).closedWith !== undefined, 'a to close');
    expect(server.peer(idA).received).toContain('last words'); // the hook ran before the close
    refuse = true;
    b.release();
    await until(() => server.peer(idB).closedWith !== undefined, 'b to close');
    expect(server.peer(idB).received).toContain('last words');
    refuse = false;
    const c = await pool.acquire();
    const idC = await whoami(c);
    c.release();
    await pool.close();
    await until(() => server.peer(idC).closedWith !== undefined, 'c to close');
    expect(server.peer(idC).received.at(-1)).toBe('last words'); // the hook's message came before the close
    expect(openInHook).toEqual([true, true, true]);
  });

  it('a throwing beforeClose still closes the socket and frees the slot', async () => {
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      beforeClose: () => {
        throw new Error('hook bug');
      },
    });
    const conn = await pool.acquire();
    const id = await whoami(conn);
    conn.destroy();
    await until(() => server.peer(id).closedWith !== undefined, 'the close');
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
    await stillWorks(pool);
    await within(pool.close(), 5_000, 'close with a throwing beforeClose');
  });

  it('a beforeClose that never settles delays the close by closeTimeout at most', async () => {
    useFakeClock();
    const pool = jar.pool({
      url: server.url,
      maxConns: 2,
      closeTimeout: 1_000,
      healthCheckPeriod: Infinity,
      beforeClose: () => new Promise<void>(() => undefined),
    });
    const [idle, borrowed] = await within(Promise.all([pool.acquire(), pool.acquire()]), 5_000, 'acquire');
    const ids = [await whoami(idle), await whoami(borrowed)];
    idle.release();
    const closing = track(pool.close({ timeout: 5_000 }));
    borrowed.release();
    await turns(10);
    expect(closing.status).toBe('pending'); // the hooks get their chance...
    await vi.advanceTimersByTimeAsync(1_000); // ...for closeTimeout, no longer
    await until(() => closing.status === 'fulfilled', 'close');
    await until(() => ids.every((id) => server.peer(id).closedWith !== undefined), 'both sockets to close');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a slow beforeClose does not hold up the refill of minConns', async () => {
    useFakeClock();
    const hook = gate();
    const pool = jar.pool({
      url: server.url,
      minConns: 1,
      maxConns: 2,
      healthCheckPeriod: Infinity,
      closeTimeout: Infinity,
      beforeClose: () => hook.promise,
    });
    await until(() => pool.stat().idleConns === 1, 'the fill');
    const conn = await within(pool.acquire(), 5_000, 'acquire');
    conn.destroy();
    await vi.advanceTimersByTimeAsync(0);
    await until(() => pool.stat().idleConns === 1, 'the refill, while the hook still runs');
    hook.open();
  });

  it('is not called for a socket the peer already closed', async () => {
    let calls = 0;
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      beforeClose: () => {
        calls++;
      },
    });
    const conn = await pool.acquire();
    const id = await whoami(conn);
    conn.release();
    server.peer(id).ws.close();
    await until(() => pool.stat().totalConns === 0, 'the closed socket to leave');
    expect(calls).toBe(0);
  });
});
