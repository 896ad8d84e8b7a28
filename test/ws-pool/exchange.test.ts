// exchange()/exchangeJSON() on Connection, PooledConnection and Pool (send, then read the next
// message as the reply, one deadline for both), release(error), and withConnection destroying on a
// throw: the safe request/reply for protocols without correlation ids. A late reply can never reach
// another borrower.
import { describe, expect, it, vi } from 'vitest';
import { connect } from '../../src/index.js';
import {
  PoolJar,
  gauges,
  startPeerServer,
  statOf,
  track,
  until,
  useFakeClock,
  useSuiteServer,
  whoami,
  within,
  wsErrorOf,
  type PeerServer,
} from './support.js';

const jar = new PoolJar();
const server = useSuiteServer(() => startPeerServer(), jar);

/**
 * Make peer `id` slow: it answers `slow:<text>` only when the test calls the returned function
 * (the late reply), and `whoami` at once.
 */
function slowPeer(srv: PeerServer, id: number): () => void {
  const peer = srv.peer(id);
  const { ws } = peer;
  const held: string[] = [];
  ws.removeAllListeners('message');
  ws.on('message', (data: Buffer) => {
    const text = data.toString();
    peer.received.push(text);
    if (text === 'whoami') ws.send(`peer:${id}`);
    else held.push(text);
  });
  return () => {
    for (const text of held.splice(0)) if (ws.readyState === ws.OPEN) ws.send(`slow:${text}`);
  };
}

describe('Connection.exchange', () => {
  it('sends and reads the next message as the reply; exchangeJSON parses it', async () => {
    const conn = await connect(server.url);
    try {
      expect(await conn.exchange('hello')).toBe('hello');
      expect(await conn.exchangeJSON<{ a: number }>({ a: 1 }, { timeout: 1_000 })).toEqual({ a: 1 });
    } finally {
      await conn.close();
    }
  });

  it('one deadline covers the send and the reply: READ_TIMEOUT when the reply is late', async () => {
    useFakeClock();
    const conn = await connect(server.url);
    try {
      slowPeer(server, server.peers.length);
      const exchanging = track(conn.exchange('x', { timeout: 300 }));
      await vi.advanceTimersByTimeAsync(299);
      expect(exchanging.status).toBe('pending');
      await vi.advanceTimersByTimeAsync(1);
      await until(() => exchanging.status !== 'pending', 'the exchange');
      expect(exchanging.error).toMatchObject({ code: 'WSPOOL_ERR_READ_TIMEOUT' });
    } finally {
      await conn.close();
    }
  });

  it('rejects bad options with INVALID_CONFIG before sending anything', async () => {
    const conn = await connect(server.url);
    try {
      const peer = server.peer(server.peers.length);
      await wsErrorOf(conn.exchange('x', { timeout: -1 }), 'WSPOOL_ERR_INVALID_CONFIG');
      const reason = new Error('stop');
      const controller = new AbortController();
      controller.abort(reason);
      await expect(conn.exchange('x', { signal: controller.signal })).rejects.toBe(reason);
      expect(peer.received).toEqual([]);
    } finally {
      await conn.close();
    }
  });
});

describe('PooledConnection.exchange and release(error)', () => {
  it('a timed-out exchange marks the connection: release() destroys it and counts errorReleaseCount', async () => {
    useFakeClock();
    const pool = jar.pool({ url: server.url, maxConns: 1, healthCheckPeriod: Infinity });
    const conn = await pool.acquire();
    const id = await whoami(conn);
    slowPeer(server, id);
    const exchanging = track(conn.exchange('x', { timeout: 100 }));
    await vi.advanceTimersByTimeAsync(100);
    await until(() => exchanging.status !== 'pending', 'the exchange');
    expect(exchanging.error).toMatchObject({ code: 'WSPOOL_ERR_READ_TIMEOUT' });
    conn.release();
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
    expect(statOf(pool).errorReleaseCount).toBe(1);
    await until(() => server.peer(id).closedWith !== undefined, 'the server to see it closed');
  });

  it('a successful exchange leaves the connection reusable', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    const conn = await pool.acquire();
    expect(await conn.exchangeJSON({ n: 2 })).toEqual({ n: 2 });
    conn.release();
    expect(gauges(pool)).toEqual({ total: 1, idle: 1, acquired: 0, constructing: 0, pending: 0 });
    expect(statOf(pool).errorReleaseCount).toBe(0);
  });

  it('release(error) destroys the connection instead of pooling it; release() after it is a no-op', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    const conn = await pool.acquire();
    const id = await whoami(conn);
    conn.release(new Error('the work failed'));
    conn.release();
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
    expect(statOf(pool).errorReleaseCount).toBe(1);
    const next = await pool.acquire();
    expect(await whoami(next)).not.toBe(id);
    next.release();
  });
});

describe('Pool.exchange', () => {
  it('acquires, exchanges and releases in one call', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    expect(await pool.exchange('hi', { timeout: 1_000 })).toBe('hi');
    expect(await pool.exchangeJSON<number[]>([1, 2])).toEqual([1, 2]);
    expect(gauges(pool)).toEqual({ total: 1, idle: 1, acquired: 0, constructing: 0, pending: 0 });
    expect(statOf(pool).acquireCount).toBe(2);
  });

  it('one deadline: expiry while waiting for a connection rejects ACQUIRE_TIMEOUT', async () => {
    useFakeClock();
    const pool = jar.pool({ url: server.url, maxConns: 1, healthCheckPeriod: Infinity });
    const holder = await pool.acquire();
    const exchanging = track(pool.exchange('x', { timeout: 200 }));
    await vi.advanceTimersByTimeAsync(200);
    await until(() => exchanging.status !== 'pending', 'the exchange');
    expect(exchanging.error).toMatchObject({ code: 'WSPOOL_ERR_ACQUIRE_TIMEOUT' });
    holder.release();
  });

  it('one deadline: what the wait used is gone from the reply’s time; READ_TIMEOUT after the send destroys the connection', async () => {
    useFakeClock();
    const pool = jar.pool({ url: server.url, maxConns: 1, healthCheckPeriod: Infinity });
    const holder = await pool.acquire();
    const id = await whoami(holder);
    slowPeer(server, id);
    const exchanging = track(pool.exchange('x', { timeout: 300 }));
    await vi.advanceTimersByTimeAsync(100);
    holder.release(); // the exchange gets it after 100 ms of its 300
    await until(() => server.peer(id).received.includes('x'), 'the request to reach the server');
    await vi.advanceTimersByTimeAsync(199);
    expect(exchanging.status).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    await until(() => exchanging.status !== 'pending', 'the exchange');
    expect(exchanging.error).toMatchObject({ code: 'WSPOOL_ERR_READ_TIMEOUT' });
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
    expect(statOf(pool).errorReleaseCount).toBe(1);
  });

  it('a late reply can never reach another borrower: B, queued behind A’s timed-out exchange, reads its own reply', async () => {
    useFakeClock();
    const pool = jar.pool({ url: server.url, maxConns: 1, healthCheckPeriod: Infinity });
    const first = await pool.acquire();
    const idA = await whoami(first);
    const lateReply = slowPeer(server, idA);
    first.release();
    const a = track(pool.exchange('A', { timeout: 100 }));
    await until(() => server.peer(idA).received.includes('A'), 'A’s request to reach the server');
    const b = track(pool.exchange('B', { timeout: 5_000 }));
    await vi.advanceTimersByTimeAsync(100);
    await until(() => a.status !== 'pending', 'A to time out');
    expect(a.error).toMatchObject({ code: 'WSPOOL_ERR_READ_TIMEOUT' });
    lateReply(); // "slow:A" is sent now, while B exchanges
    await until(() => b.status !== 'pending', 'B’s exchange');
    expect(b.value).toBe('B');
    expect(statOf(pool).errorReleaseCount).toBe(1);
  });

  it('aborting after the send rejects with the reason and destroys the connection', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    const holder = await pool.acquire();
    const id = await whoami(holder);
    slowPeer(server, id);
    holder.release();
    const controller = new AbortController();
    const exchanging = track(pool.exchange('x', { signal: controller.signal }));
    await until(() => server.peer(id).received.includes('x'), 'the request');
    const reason = new Error('stop');
    controller.abort(reason);
    await until(() => exchanging.status !== 'pending', 'the exchange');
    expect(exchanging.error).toBe(reason);
    expect(statOf(pool).totalConns).toBe(0);
  });

  it('withConnection releasing with the thrown error: the late reply dies with the connection', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    const boom = new Error('boom');
    let id = 0;
    await expect(
      pool.withConnection(async (conn) => {
        id = await whoami(conn);
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(statOf(pool)).toMatchObject({ totalConns: 0, errorReleaseCount: 1 });
    await within(
      until(() => server.peer(id).closedWith !== undefined, 'the close'),
      5_000,
      'the server to see it closed',
    );
  });
});
