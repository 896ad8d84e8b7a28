// The edges of the exclusive Pool, one regression test per defect of issue 19 (each written first and
// seen failing on the code before the fix): hooks, pings and deadlines meeting close(), timeouts and
// aborts; the acquire-ping rule for connections filled by minConns; beforeConnect replacing its
// context; `closed` after release; a late reply after a read timeout in withConnection.
import { describe, expect, it, vi } from 'vitest';
import { createPool } from '../../src/index.js';
import { startTcpProxy } from '../helpers/index.js';
import {
  PoolJar,
  gauges,
  hangingHook,
  newHang,
  startPeerServer,
  statOf,
  track,
  turns,
  until,
  useFakeClock,
  useSuiteServer,
  whoami,
  within,
  wsErrorOf,
} from './support.js';

const jar = new PoolJar();
const server = useSuiteServer(() => startPeerServer(), jar);

describe('defect 1: a new connection inside a dial hook never holds up close()', () => {
  it('close() resolves while afterConnect waits for a reply that never comes; the socket is closed and the hook’s read rejects', async () => {
    let hookRead: ReturnType<typeof track<string>> | undefined;
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      afterConnect: async (conn) => {
        const read = conn.readMessage(); // the login reply that never comes
        hookRead = track(read);
        await read;
      },
    });
    const acquiring = track(pool.acquire());
    await until(() => hookRead !== undefined, 'afterConnect to start');
    const peer = server.peers[server.peers.length - 1]!;
    await within(pool.close(), 2_000, 'close() with afterConnect pending');
    expect(acquiring.status).toBe('rejected');
    expect(acquiring.error).toMatchObject({ code: 'WSPOOL_ERR_POOL_CLOSED' });
    await until(() => peer.closedWith !== undefined, 'the server to see the socket closed');
    await until(() => hookRead!.status !== 'pending', 'the hook’s read to reject');
    expect(hookRead!.status).toBe('rejected');
    expect(statOf(pool).totalConns).toBe(0);
  });

  it('close({ timeout: 0 }) resolves while beforeConnect never settles', async () => {
    const hang = newHang();
    const pool = jar.pool({ url: server.url, maxConns: 1, ...hangingHook('beforeConnect', hang) });
    const acquiring = track(pool.acquire());
    await until(() => hang.entered, 'beforeConnect to start');
    await within(pool.close({ timeout: 0 }), 2_000, 'close({ timeout: 0 }) with beforeConnect pending');
    expect(acquiring.error).toMatchObject({ code: 'WSPOOL_ERR_POOL_CLOSED' });
    expect(statOf(pool).totalConns).toBe(0);
  });
});

describe('defect 2: the acquire deadline and signal bound beforeAcquire', () => {
  it('acquire({ timeout }) rejects ACQUIRE_TIMEOUT on time while beforeAcquire hangs; that connection is destroyed', async () => {
    useFakeClock();
    const hang = newHang();
    const pool = jar.pool({ url: server.url, maxConns: 1, ...hangingHook('beforeAcquire', hang) });
    const acquiring = track(pool.acquire({ timeout: 200 }));
    await until(() => hang.entered, 'beforeAcquire to start');
    const peer = server.peers[server.peers.length - 1]!;
    await vi.advanceTimersByTimeAsync(199);
    expect(acquiring.status).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    await until(() => acquiring.status !== 'pending', 'the acquire deadline');
    expect(acquiring.error).toMatchObject({ code: 'WSPOOL_ERR_ACQUIRE_TIMEOUT' });
    await until(() => peer.closedWith !== undefined, 'the hooked connection to be closed');
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
    expect(statOf(pool).canceledAcquireCount).toBe(1);
  });

  it('aborting rejects at once with signal.reason while beforeAcquire hangs', async () => {
    const hang = newHang();
    const pool = jar.pool({ url: server.url, maxConns: 1, ...hangingHook('beforeAcquire', hang) });
    const controller = new AbortController();
    const acquiring = track(pool.acquire({ signal: controller.signal }));
    await until(() => hang.entered, 'beforeAcquire to start');
    const reason = new Error('gave up');
    controller.abort(reason);
    await turns(2);
    expect(acquiring.status).toBe('rejected');
    expect(acquiring.error).toBe(reason);
    expect(statOf(pool).acquiredConns).toBe(0);
  });
});

describe('defect 3: close() never waits for a ping in progress', () => {
  it('close() with a health-check ping to a silent peer resolves without waiting pingTimeout', async () => {
    useFakeClock();
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      pingTimeout: 3_000,
      pingIdleAfter: 100,
      healthCheckPeriod: 1_000,
    });
    const conn = await pool.acquire();
    const id = await whoami(conn);
    conn.release();
    server.peer(id).muted = true;
    await vi.advanceTimersByTimeAsync(1_000);
    await until(() => server.peer(id).pings === 1, 'the health ping');
    const closing = track(pool.close());
    await until(() => closing.status !== 'pending', 'close() without the clock moving');
    expect(closing.status).toBe('fulfilled');
    expect(server.peer(id).closedWith).toBeDefined();
  });

  it('an acquire pinging a silent peer rejects POOL_CLOSED at once when the pool closes', async () => {
    useFakeClock();
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      pingTimeout: 3_000,
      pingIdleAfter: 100,
      healthCheckPeriod: Infinity,
    });
    const conn = await pool.acquire();
    const id = await whoami(conn);
    conn.release();
    server.peer(id).muted = true;
    await vi.advanceTimersByTimeAsync(100);
    const acquiring = track(pool.acquire());
    await until(() => server.peer(id).pings === 1, 'the acquire ping');
    const closing = track(pool.close());
    await until(() => closing.status !== 'pending', 'close() without the clock moving');
    expect(acquiring.error).toMatchObject({ code: 'WSPOOL_ERR_POOL_CLOSED' });
  });
});

describe('defect 4: a connection whose acquire ping is cut short by the deadline is destroyed', () => {
  it('the next acquire gets the healthy idle connection instead of the silent one', async () => {
    useFakeClock();
    const pool = jar.pool({
      url: server.url,
      maxConns: 2,
      pingTimeout: 5_000,
      pingIdleAfter: 100,
      healthCheckPeriod: Infinity,
    });
    const [a, b] = [await pool.acquire(), await pool.acquire()];
    const [idA, idB] = [await whoami(a), await whoami(b)];
    b.release();
    a.release(); // the silent one on top: tried first
    server.peer(idA).muted = true;
    await vi.advanceTimersByTimeAsync(100);
    const first = track(pool.acquire({ timeout: 250 }));
    await until(() => server.peer(idA).pings === 1, 'the ping to the silent peer');
    await vi.advanceTimersByTimeAsync(250);
    await until(() => first.status !== 'pending', 'the first acquire');
    expect(first.error).toMatchObject({ code: 'WSPOOL_ERR_ACQUIRE_TIMEOUT' });
    expect(statOf(pool).totalConns).toBe(1); // the silent one is gone
    const second = track(pool.acquire({ timeout: 250 }));
    await until(() => second.status !== 'pending', 'the second acquire');
    expect(second.status).toBe('fulfilled');
    expect(await whoami(second.value!)).toBe(idB);
    expect(server.peer(idA).pings).toBe(1);
    second.value!.release();
  });
});

describe('defect 5: a connection filled by minConns is pinged once idle long enough', () => {
  it('is pinged on its first acquire; a silent one is destroyed and another handed out', async () => {
    useFakeClock();
    const pool = jar.add(
      await createPool({
        url: server.url,
        minConns: 1,
        maxConns: 2,
        pingTimeout: 500,
        pingIdleAfter: 1_000,
        healthCheckPeriod: Infinity,
      }),
    );
    const filled = server.peers[server.peers.length - 1]!;
    filled.muted = true;
    await vi.advanceTimersByTimeAsync(2_000);
    const acquiring = track(pool.acquire());
    await until(() => filled.pings === 1, 'the acquire ping to the filled connection');
    await vi.advanceTimersByTimeAsync(500);
    await until(() => acquiring.status !== 'pending', 'the acquire');
    expect(acquiring.status).toBe('fulfilled');
    expect(await whoami(acquiring.value!)).not.toBe(filled.id);
    acquiring.value!.release();
  });
});

describe('defect 10: beforeConnect may replace ctx.url and ctx.headers', () => {
  it('the dial uses the replaced URL and headers', async () => {
    const pool = jar.pool({
      url: `${server.url}/original`,
      maxConns: 1,
      headers: { 'x-old': 'old' },
      beforeConnect: (ctx) => {
        ctx.url = new URL(`${server.url}/replaced?t=1`);
        ctx.headers = { 'x-new': 'new' };
      },
    });
    const conn = await pool.acquire();
    const peer = server.peer(await whoami(conn));
    expect(peer.path).toBe('/replaced?t=1');
    expect(peer.headers['x-new']).toBe('new');
    expect(peer.headers['x-old']).toBeUndefined();
    conn.release();
  });

  it('a replacement that is not a URL or not a headers object fails that dial with a typed error', async () => {
    const badUrl = jar.pool({
      url: server.url,
      maxConns: 1,
      beforeConnect: (ctx) => {
        (ctx as { url: unknown }).url = 'http://example.com/';
      },
    });
    await wsErrorOf(badUrl.acquire(), 'WSPOOL_ERR_INVALID_URL');
    const badHeaders = jar.pool({
      url: server.url,
      maxConns: 1,
      beforeConnect: (ctx) => {
        (ctx as { headers: unknown }).headers = null;
      },
    });
    const error = await wsErrorOf(badHeaders.acquire(), 'WSPOOL_ERR_CONNECT_FAILED');
    expect(error.message).toMatch(/ctx\.headers/);
    expect(statOf(badHeaders).totalConns).toBe(0);
  });
});

describe('defect 11: PooledConnection.closed never rejects', () => {
  it('after release it still settles with the socket’s close, never rejecting', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    const conn = await pool.acquire();
    conn.release();
    const closed = track(conn.closed);
    await turns(2);
    expect(closed.status).toBe('pending');
    await pool.close();
    await until(() => closed.status !== 'pending', 'closed to settle');
    expect(closed.status).toBe('fulfilled');
    expect(closed.value).toMatchObject({ code: 1000 });
  });
});

describe('defect 12: a read that timed out inside withConnection never lets its late reply reach another borrower', () => {
  it('the connection is destroyed, so the next borrower cannot read "slow:A"', async () => {
    useFakeClock();
    const pool = jar.pool({ url: server.url, maxConns: 1, healthCheckPeriod: Infinity });
    let idA = 0;
    const a = track(
      pool.withConnection(async (conn) => {
        idA = await whoami(conn);
        return conn.readMessage({ timeout: 100 }); // the server is slow
      }),
    );
    await until(() => idA !== 0, 'A to hold its connection');
    const b = track(pool.acquire());
    await vi.advanceTimersByTimeAsync(100);
    await until(
      () => a.status !== 'pending' && b.status !== 'pending',
      'A to give up and B to get a connection',
    );
    expect(a.error).toMatchObject({ code: 'WSPOOL_ERR_READ_TIMEOUT' });
    const peerA = server.peer(idA);
    if (peerA.ws.readyState === peerA.ws.OPEN) peerA.ws.send('slow:A'); // the late reply
    await turns();
    const conn = b.value!;
    await conn.sendMessage('B');
    expect(await within(conn.readMessage(), 2_000, 'B’s reply')).toBe('B');
    expect(await whoami(conn)).not.toBe(idA);
    expect(statOf(pool).errorReleaseCount).toBe(1);
    conn.release();
  });
});

describe('audit: the closing handshake is bounded by close({ timeout }) too', () => {
  it('a peer that never answers the close frame (closeTimeout Infinity) cannot hold close({ timeout }) past its timeout', async () => {
    useFakeClock();
    const proxy = await startTcpProxy(new URL(server.url).port ? Number(new URL(server.url).port) : 0);
    try {
      const pool = jar.pool({
        url: proxy.url(),
        maxConns: 1,
        closeTimeout: Infinity,
        healthCheckPeriod: Infinity,
      });
      (await pool.acquire()).release();
      proxy.blackhole(); // the close frame goes nowhere, and no FIN comes back
      const closing = track(pool.close({ timeout: 300 }));
      await turns(5);
      expect(closing.status).toBe('pending');
      await vi.advanceTimersByTimeAsync(300);
      await until(() => closing.status === 'fulfilled', 'close at its timeout');
    } finally {
      proxy.cutAll();
      await proxy.close();
    }
  });
});
