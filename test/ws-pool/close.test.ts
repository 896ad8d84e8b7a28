// Pool.close(): idempotent; rejects new and waiting acquires; closes idle sockets at once and
// borrowed ones on release (or terminates them after `timeout`); closes dials that finish late;
// resolves only once every socket is closed, leaving no timer and no handle behind.
import type net from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import type WebSocket from 'ws';
import { createPool, type Connection } from '../../src/index.js';
import { snapshotHandles, expectNoNewHandles, trackTimers } from '../helpers/index.js';
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

function rawSocket(ws: WebSocket): net.Socket {
  return (ws as unknown as { _socket: net.Socket })._socket;
}

describe('close()', () => {
  it('is idempotent: every call returns the same promise, and `closed` turns true', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 2 });
    (await pool.acquire()).release();
    expect(pool.closed).toBe(false);
    const first = pool.close();
    const second = pool.close({ timeout: 5 });
    expect(second).toBe(first);
    expect(pool.closed).toBe(true);
    await within(first, 5_000, 'close');
    await within(pool.close(), 5_000, 'a later close');
  });

  it('rejects new acquires with POOL_CLOSED, also when an idle connection would have been there', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    (await pool.acquire()).release();
    const closing = pool.close();
    await wsErrorOf(pool.acquire(), 'WSPOOL_ERR_POOL_CLOSED');
    await wsErrorOf(
      pool.withConnection(() => Promise.resolve()),
      'WSPOOL_ERR_POOL_CLOSED',
    );
    await closing;
    await wsErrorOf(pool.acquire(), 'WSPOOL_ERR_POOL_CLOSED');
  });

  it('rejects queued acquires and acquires waiting on their own dial with POOL_CLOSED', async () => {
    const dial = gate();
    let calls = 0;
    const pool = jar.pool({
      url: server.url,
      maxConns: 2,
      beforeConnect: async () => {
        if (++calls === 2) await dial.promise; // the second dial hangs
      },
    });
    const holder = await pool.acquire();
    const dialling = track(pool.acquire());
    const queued = track(pool.acquire());
    expect(gauges(pool)).toEqual({ total: 2, idle: 0, acquired: 1, constructing: 1, pending: 1 });
    const closing = track(pool.close());
    await until(() => dialling.status !== 'pending' && queued.status !== 'pending', 'the waiting acquires');
    expect(dialling.error).toMatchObject({ code: 'WSPOOL_ERR_POOL_CLOSED' });
    expect(queued.error).toMatchObject({ code: 'WSPOOL_ERR_POOL_CLOSED' });
    dial.open();
    holder.release();
    await until(() => closing.status === 'fulfilled', 'close');
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
  });

  it('closes idle sockets at once while a borrowed one stays usable until released', async () => {
    const pool = await createPool({ url: server.url, minConns: 3, maxConns: 3, pingIdleAfter: Infinity });
    jar.add(pool);
    const borrowed = await pool.acquire();
    const borrowedId = await whoami(borrowed);
    const ours = server.peers.slice(-3).map((p) => p.id);
    const idleIds = ours.filter((id) => id !== borrowedId);
    const closing = track(pool.close());
    await until(
      () => idleIds.every((id) => server.peer(id).closedWith !== undefined),
      'the idle sockets to close',
    );
    for (const id of idleIds) expect(server.peer(id).closedWith?.code).toBe(1000);
    expect(gauges(pool)).toEqual({ total: 1, idle: 0, acquired: 1, constructing: 0, pending: 0 });
    await turns(20);
    expect(closing.status).toBe('pending');
    expect(server.peer(borrowedId).closedWith).toBeUndefined();
    expect(await echo(borrowed, 'still mine')).toBe('still mine');
    borrowed.release();
    await until(() => closing.status === 'fulfilled', 'close');
    await until(() => server.peer(borrowedId).closedWith !== undefined, 'the released socket to close');
    expect(server.peer(borrowedId).closedWith?.code).toBe(1000);
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
    await wsErrorOf(borrowed.read(), 'WSPOOL_ERR_CONN_RELEASED');
  });

  it('close while several are acquired resolves after the last release, in any order', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 3 });
    const conns = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
    const closing = track(pool.close());
    for (const [i, conn] of [conns[1], conns[2], conns[0]].entries()) {
      await turns();
      expect(closing.status).toBe('pending');
      conn.release();
      expect(statOf(pool).acquiredConns).toBe(2 - i);
    }
    await until(() => closing.status === 'fulfilled', 'close');
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
  });

  it('close({ timeout }) terminates borrowed connections once the timeout passes', async () => {
    useFakeClock();
    const pool = jar.pool({ url: server.url, maxConns: 2, healthCheckPeriod: Infinity });
    const borrowed = await within(pool.acquire(), 5_000, 'acquire');
    const id = await whoami(borrowed);
    const closing = track(pool.close({ timeout: 1_000 }));
    await vi.advanceTimersByTimeAsync(999);
    await turns();
    expect(closing.status).toBe('pending');
    expect(server.peer(id).closedWith).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    await until(() => closing.status === 'fulfilled', 'close after the timeout');
    await until(() => server.peer(id).closedWith !== undefined, 'the server to see the socket drop');
    expect(server.peer(id).closedWith?.code).toBe(1006); // terminated, no closing handshake
    await wsErrorOf(borrowed.read(), 'WSPOOL_ERR_CONNECTION_CLOSED');
    borrowed.release(); // late: harmless
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('close({ timeout: 0 }) terminates borrowed connections at once', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    const borrowed = await pool.acquire();
    const id = await whoami(borrowed);
    await within(pool.close({ timeout: 0 }), 5_000, 'close');
    await until(() => server.peer(id).closedWith !== undefined, 'the server to see the socket drop');
    expect(borrowed.isOpen).toBe(false);
  });

  it('rejects an invalid timeout with INVALID_CONFIG and leaves the pool open', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    await wsErrorOf(pool.close({ timeout: -1 }), 'WSPOOL_ERR_INVALID_CONFIG');
    await wsErrorOf(pool.close({ timeout: NaN }), 'WSPOOL_ERR_INVALID_CONFIG');
    expect(pool.closed).toBe(false);
    const conn = await pool.acquire();
    expect(await echo(conn, 'open')).toBe('open');
    conn.release();
    await within(pool.close(), 5_000, 'a valid close');
    expect(pool.closed).toBe(true);
  });

  it('does not wait for a dial inside afterConnect: the socket is cut and the hook abandoned', async () => {
    const hook = gate();
    let opened: Connection | undefined;
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      afterConnect: async (conn) => {
        opened = conn;
        await hook.promise; // the socket is open; the pool's dial is not finished
      },
    });
    const acquiring = track(pool.acquire());
    await until(() => opened !== undefined, 'the socket to open');
    const peer = server.peers[server.peers.length - 1]!;
    const closing = track(pool.close());
    await until(() => acquiring.status !== 'pending', 'the acquire');
    expect(acquiring.error).toMatchObject({ code: 'WSPOOL_ERR_POOL_CLOSED' });
    // The hook is still pending, yet close() does not wait for it (issue 19, defect 1).
    await until(() => closing.status === 'fulfilled', 'close');
    expect(opened!.isOpen).toBe(false);
    await until(() => peer.closedWith !== undefined, 'the server to see the close');
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
    hook.open(); // settling it late changes nothing
    await turns();
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
  });

  it('abandons a handshake in progress instead of waiting for connectTimeout', async () => {
    const upgrade = gate();
    let upgrades = 0;
    const slow = await startPeerServer({
      verifyClient: (_info, done) => {
        upgrades++;
        void upgrade.promise.then(() => done(true));
      },
    });
    try {
      const pool = jar.pool({ url: slow.url, minConns: 2, maxConns: 2 });
      await until(() => upgrades === 2, 'both handshakes to reach the server');
      await within(pool.close(), 2_000, 'close (must not wait out the 10 s connectTimeout)');
      expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
      upgrade.open();
      await until(() => slow.open === 0, 'no connection left open on the server');
    } finally {
      await slow.close();
    }
  });

  it('resolves only once every socket is closed (it waits for the closing handshake)', async () => {
    useFakeClock();
    const conns: Connection[] = [];
    const pool = jar.pool({
      url: server.url,
      maxConns: 2,
      closeTimeout: 1_000,
      healthCheckPeriod: Infinity,
      afterConnect: (conn) => {
        conns.push(conn);
      },
    });
    const [a, b] = await within(Promise.all([pool.acquire(), pool.acquire()]), 5_000, 'acquire');
    const stuck = server.peer(await whoami(a));
    await whoami(b);
    a.release();
    b.release();
    rawSocket(stuck.ws).pause(); // this peer never reads the close frame, so never answers it
    const closing = track(pool.close());
    await turns(20);
    expect(closing.status).toBe('pending');
    expect(conns.filter((c) => c.isOpen)).toHaveLength(0); // both closing...
    const settled = conns.map((c) => track(c.closed));
    await until(
      () => settled.filter((s) => s.status === 'fulfilled').length === 1,
      'the responsive one to close',
    );
    await vi.advanceTimersByTimeAsync(1_000); // closeTimeout: the stuck one is terminated
    await until(() => closing.status === 'fulfilled', 'close');
    expect(settled.every((s) => s.status === 'fulfilled')).toBe(true);
    rawSocket(stuck.ws).resume();
  });

  it('leaves no timer and no socket behind', async () => {
    const timers = trackTimers();
    try {
      const before = snapshotHandles();
      const pool = await createPool({
        url: server.url,
        minConns: 2,
        maxConns: 3,
        healthCheckPeriod: 50,
        pingIdleAfter: 0,
        acquireTimeout: 5_000,
      });
      const conn = await pool.acquire({ timeout: 1_000 });
      expect(await echo(conn, 'x')).toBe('x');
      conn.release();
      const again = await pool.acquire(); // pinged first (pingIdleAfter 0)
      again.release();
      await pool.close();
      await until(() => server.open === 0, 'the server to see every socket close');
      // Every timer created since the tracker started (the library's, unref'd or not, and the
      // sockets') must have fired or been cleared; sockets must be back to where they were.
      await expectNoNewHandles(before, { timers });
    } finally {
      timers.stop();
    }
  });

  it('leaves no fake timer after close, and no background work afterwards', async () => {
    useFakeClock();
    const pool = jar.pool({ url: server.url, minConns: 2, maxConns: 2, healthCheckPeriod: 1_000 });
    await until(() => pool.stat().idleConns === 2, 'the fill');
    const dialled = server.peers.length;
    await within(pool.close(), 5_000, 'close');
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(600_000);
    await turns();
    expect(server.peers.length).toBe(dialled);
  });

  it('[Symbol.asyncDispose] closes the pool', async () => {
    let kept: { closed: boolean } | undefined;
    {
      await using pool = await createPool({ url: server.url, minConns: 1, maxConns: 1 });
      kept = pool;
      expect(pool.stat().idleConns).toBe(1);
    }
    expect(kept.closed).toBe(true);
  });

  it('an acquire in the middle of beforeAcquire when the pool closes rejects POOL_CLOSED', async () => {
    const hook = gate<boolean>();
    let entered = false;
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      beforeAcquire: () => {
        entered = true;
        return hook.promise;
      },
    });
    const acquiring = track(pool.acquire());
    await until(() => entered, 'beforeAcquire to run');
    const peer = server.peers[server.peers.length - 1]!;
    const closing = track(pool.close());
    hook.open(true);
    await until(() => acquiring.status !== 'pending', 'the acquire');
    expect(acquiring.error).toMatchObject({ code: 'WSPOOL_ERR_POOL_CLOSED' });
    await until(() => closing.status === 'fulfilled', 'close');
    await until(() => peer.closedWith !== undefined, 'the server to see the close');
  });
});
