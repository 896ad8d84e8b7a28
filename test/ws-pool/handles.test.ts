// PooledConnection handles: a fresh handle per acquire, release/destroy idempotence, every method
// rejecting CONN_RELEASED once given back, stale-message isolation between borrowers, sockets that
// close while idle or borrowed, `await using`, and handles of two pools side by side.
import { describe, expect, it } from 'vitest';
import { Pool, type PooledConnection } from '../../src/index.js';
import {
  PoolJar,
  echo,
  gauges,
  rejectionOf,
  startPeerServer,
  statOf,
  thrownBy,
  track,
  turns,
  until,
  whoami,
  within,
  wsErrorOf,
  useSuiteServer,
} from './support.js';

const jar = new PoolJar();
const server = useSuiteServer(() => startPeerServer(), jar);

describe('handles', () => {
  it('each acquire returns a fresh handle over the same connection', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1, pingIdleAfter: Infinity });
    const first = await pool.acquire();
    const id = await whoami(first);
    first.release();
    const second = await pool.acquire();
    expect(second).not.toBe(first);
    expect(first.isActive).toBe(false);
    expect(second.isActive).toBe(true);
    expect(await whoami(second)).toBe(id);
    second.release();
  });

  it('release() is idempotent, and a stale release never returns the next borrower’s connection', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1, pingIdleAfter: Infinity });
    const first = await pool.acquire();
    first.release();
    first.release();
    expect(gauges(pool)).toEqual({ total: 1, idle: 1, acquired: 0, constructing: 0, pending: 0 });
    const second = await pool.acquire();
    first.release(); // the old handle again: must not touch the second borrow
    first.destroy('stale');
    expect(gauges(pool)).toEqual({ total: 1, idle: 0, acquired: 1, constructing: 0, pending: 0 });
    expect(await echo(second, 'still mine')).toBe('still mine');
    const queued = track(pool.acquire());
    await turns();
    expect(queued.status).toBe('pending'); // the stale release handed nothing to the queue
    second.release();
    await until(() => queued.status === 'fulfilled', 'the queued acquire');
    queued.value!.release();
  });

  it('destroy() closes the socket, frees the slot and is idempotent; release() after it is a no-op', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    const conn = await pool.acquire();
    const id = await whoami(conn);
    conn.destroy('done with it');
    conn.destroy();
    conn.release();
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
    await until(() => server.peer(id).closedWith !== undefined, 'the server to see the close');
    expect(server.peer(id).closedWith).toEqual({ code: 1000, reason: 'done with it' });
  });

  it('destroy(reason) with a long multi-byte reason still closes cleanly (reason cut on a character boundary)', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    const conn = await pool.acquire();
    const id = await whoami(conn);
    conn.destroy(new Error('x' + 'é'.repeat(100)));
    await until(() => server.peer(id).closedWith !== undefined, 'the server to see the close');
    const closed = server.peer(id).closedWith!;
    expect(closed.code).toBe(1000); // not 1006: the reason fitted in a close frame
    expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123);
    expect(closed.reason.startsWith('xéé')).toBe(true);
    expect(closed.reason).not.toContain('\uFFFD');
  });

  it('after release every method of the handle rejects CONN_RELEASED', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    const conn = await pool.acquire();
    conn.release();
    const calls: [string, () => Promise<unknown>][] = [
      ['send', () => conn.send('x')],
      ['sendMessage', () => conn.sendMessage('x')],
      ['sendBinary', () => conn.sendBinary(new Uint8Array([1]))],
      ['sendJSON', () => conn.sendJSON({ a: 1 })],
      ['read', () => conn.read()],
      ['readMessage', () => conn.readMessage()],
      ['readBinary', () => conn.readBinary()],
      ['readJSON', () => conn.readJSON()],
      ['ping', () => conn.ping()],
      ['messages', () => conn.messages().next()],
      ['asyncIterator', () => conn[Symbol.asyncIterator]().next()],
      ['exchange', () => conn.exchange('x')],
      ['exchangeJSON', () => conn.exchangeJSON({ a: 1 })],
    ];
    for (const [name, call] of calls) {
      const error = await within(rejectionOf(call()), 2_000, name);
      expect(error, name).toMatchObject({ code: 'WSPOOL_ERR_CONN_RELEASED' });
    }
    for (const getter of [
      'url',
      'protocol',
      'createdAt',
      'lastUsedAt',
      'bufferedAmount',
      'pendingMessages',
    ] as const) {
      thrownBy(() => conn[getter], 'WSPOOL_ERR_CONN_RELEASED');
    }
    expect(conn.isOpen).toBe(false);
    expect(conn.isActive).toBe(false);
    // Nothing above reached the socket: the server got no message after the release.
    expect(gauges(pool)).toEqual({ total: 1, idle: 1, acquired: 0, constructing: 0, pending: 0 });
    expect(statOf(pool).discardedMessages).toBe(0);
  });

  it('after destroy every method rejects CONN_RELEASED too', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    const conn = await pool.acquire();
    conn.destroy();
    await wsErrorOf(conn.sendMessage('x'), 'WSPOOL_ERR_CONN_RELEASED');
    await wsErrorOf(conn.read(), 'WSPOOL_ERR_CONN_RELEASED');
    await wsErrorOf(conn.ping(), 'WSPOOL_ERR_CONN_RELEASED');
  });

  it('a read pending at release rejects CONN_RELEASED and never sees the next borrower’s message', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1, pingIdleAfter: Infinity });
    const first = await pool.acquire();
    const pending = track(first.readMessage());
    const iterating = track(first.messages().next());
    first.release();
    const second = await pool.acquire();
    expect(await echo(second, 'for the second borrower')).toBe('for the second borrower');
    await until(() => pending.status !== 'pending' && iterating.status !== 'pending', 'the stale reads');
    expect(pending.error).toMatchObject({ code: 'WSPOOL_ERR_CONN_RELEASED' });
    expect(iterating.error).toMatchObject({ code: 'WSPOOL_ERR_CONN_RELEASED' });
    second.release();
  });

  it('`for await` over a handle stops with CONN_RELEASED when it is released mid-iteration', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    const conn = await pool.acquire();
    await conn.sendMessage('one');
    const seen: unknown[] = [];
    const loop = (async () => {
      for await (const message of conn) {
        seen.push(message);
        conn.release();
      }
    })();
    const error = await within(rejectionOf(loop), 5_000, 'the loop');
    expect(seen).toEqual(['one']);
    expect(error).toMatchObject({ code: 'WSPOOL_ERR_CONN_RELEASED' });
    // The finished loop read nothing more: the next borrower gets its own message.
    const next = await pool.acquire();
    expect(await echo(next, 'two')).toBe('two');
    next.release();
    expect(statOf(pool).discardedMessages).toBe(0);
  });

  it('breaking out of `for await` leaves the handle usable and loses no message', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    const conn = await pool.acquire();
    await conn.sendMessage('a');
    await conn.sendMessage('b');
    for await (const message of conn.messages()) {
      expect(message).toBe('a');
      break;
    }
    expect(await within(conn.readMessage(), 5_000, 'the next read')).toBe('b');
    conn.release();
    expect(statOf(pool).discardedMessages).toBe(0);
  });

  it('`await using` releases at the end of the scope', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    let kept: PooledConnection | undefined;
    {
      await using conn = await pool.acquire();
      kept = conn;
      expect(await echo(conn, 'scoped')).toBe('scoped');
      expect(statOf(pool).acquiredConns).toBe(1);
    }
    expect(kept.isActive).toBe(false);
    expect(gauges(pool)).toEqual({ total: 1, idle: 1, acquired: 0, constructing: 0, pending: 0 });
  });
});

describe('stale messages', () => {
  it('unread messages at release are discarded and counted; the next borrower starts clean', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1, pingIdleAfter: Infinity });
    const first = await pool.acquire();
    await first.sendMessage('a');
    await first.sendMessage('b');
    await until(() => first.pendingMessages === 2, 'the two echoes to arrive');
    first.release();
    expect(statOf(pool).discardedMessages).toBe(2);
    const second = await pool.acquire();
    expect(second.pendingMessages).toBe(0);
    expect(await echo(second, 'c')).toBe('c');
    second.release();
  });

  it('messages pushed while idle are discarded and counted; the next borrower reads its own reply first', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1, pingIdleAfter: Infinity });
    const first = await pool.acquire();
    const id = await whoami(first);
    first.release();
    server.peer(id).ws.send('push 1');
    server.peer(id).ws.send(Buffer.from([9, 9]));
    await until(() => pool.stat().discardedMessages === 2, 'the pushes to be discarded');
    const second = await pool.acquire();
    expect(second.pendingMessages).toBe(0);
    expect(await echo(second, 'mine')).toBe('mine');
    second.release();
    expect(statOf(pool).discardedMessages).toBe(2);
  });

  it('messages arriving after release() but before the next acquire are discarded too', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1, pingIdleAfter: Infinity });
    const first = await pool.acquire();
    await first.sendMessage('late echo'); // its echo is still on the wire at release
    first.release();
    await until(() => pool.stat().discardedMessages === 1, 'the late echo to be discarded');
    const second = await pool.acquire();
    expect(await echo(second, 'fresh')).toBe('fresh');
    second.release();
  });
});

describe('sockets that close', () => {
  it('an idle socket closed by the server leaves the pool at once', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 2, pingIdleAfter: Infinity });
    const conn = await pool.acquire();
    const id = await whoami(conn);
    conn.release();
    server.peer(id).ws.close(4000, 'server restart');
    await until(() => pool.stat().totalConns === 0, 'the closed socket to leave the pool');
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
    const next = await pool.acquire();
    expect(await whoami(next)).not.toBe(id);
    next.release();
  });

  it('an idle socket that drops below minConns is replaced', async () => {
    const pool = jar.pool({ url: server.url, minConns: 2, maxConns: 3, pingIdleAfter: Infinity });
    await until(() => pool.stat().idleConns === 2, 'the first fill');
    const before = server.peers.length;
    const victim = server.peers[server.peers.length - 1]!;
    victim.ws.terminate();
    await until(() => server.peers.length === before + 1 && pool.stat().idleConns === 2, 'the refill');
    expect(gauges(pool)).toEqual({ total: 2, idle: 2, acquired: 0, constructing: 0, pending: 0 });
  });

  it('a borrowed socket that closes makes the handle reject CONNECTION_CLOSED; release() frees the slot', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1, pingIdleAfter: Infinity });
    const conn = await pool.acquire();
    const id = await whoami(conn);
    const reading = track(conn.read());
    server.peer(id).ws.close(4001, 'bye');
    await until(() => reading.status !== 'pending', 'the read to fail');
    expect(reading.error).toMatchObject({
      code: 'WSPOOL_ERR_CONNECTION_CLOSED',
      closeCode: 4001,
      closeReason: 'bye',
    });
    await wsErrorOf(conn.sendMessage('x'), 'WSPOOL_ERR_CONNECTION_CLOSED');
    await wsErrorOf(conn.ping(), 'WSPOOL_ERR_CONNECTION_CLOSED');
    expect(conn.isOpen).toBe(false);
    expect(statOf(pool).acquiredConns).toBe(1); // still the borrower's until it gives it back
    conn.release();
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
    const next = await pool.acquire();
    expect(await whoami(next)).not.toBe(id);
    next.release();
  });

  it('a waiter gets a new connection when the borrowed one comes back closed', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1, pingIdleAfter: Infinity });
    const conn = await pool.acquire();
    const id = await whoami(conn);
    const queued = track(pool.acquire());
    server.peer(id).ws.terminate();
    await until(() => !conn.isOpen, 'the close to reach the client');
    conn.release();
    await until(() => queued.status !== 'pending', 'the waiter');
    expect(queued.status).toBe('fulfilled');
    expect(await whoami(queued.value!)).not.toBe(id);
    queued.value!.release();
  });
});

describe('two pools', () => {
  it('handles release into their own pool only, in any order, and closing one leaves the other intact', async () => {
    const a = jar.pool({ url: server.url, maxConns: 2 });
    const b = jar.pool({ url: server.url, maxConns: 2 });
    const [a1, a2, b1] = await Promise.all([a.acquire(), a.acquire(), b.acquire()]);
    b1.release();
    a1.release();
    expect(gauges(a)).toEqual({ total: 2, idle: 1, acquired: 1, constructing: 0, pending: 0 });
    expect(gauges(b)).toEqual({ total: 1, idle: 1, acquired: 0, constructing: 0, pending: 0 });
    const b2 = await b.acquire();
    a1.release(); // stale handle of a, while b lends the connection it used to be idle next to
    b1.release(); // stale handle of b
    expect(gauges(a)).toEqual({ total: 2, idle: 1, acquired: 1, constructing: 0, pending: 0 });
    expect(gauges(b)).toEqual({ total: 1, idle: 0, acquired: 1, constructing: 0, pending: 0 });
    await a.close({ timeout: 0 });
    a2.release(); // released after its pool closed: a no-op for b
    expect(await echo(b2, 'b still works')).toBe('b still works');
    b2.release();
    expect(gauges(b)).toEqual({ total: 1, idle: 1, acquired: 0, constructing: 0, pending: 0 });
    expect(gauges(a)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
  });

  it('a pool is not confused by another pool’s handle passed to withConnection callbacks', async () => {
    const a = jar.pool({ url: server.url, maxConns: 1 });
    const b = jar.pool({ url: server.url, maxConns: 1 });
    const fromB = await b.acquire();
    await a.withConnection(async (conn) => {
      fromB.release(); // releasing b's handle inside a's scope
      expect(await echo(conn, 'a')).toBe('a');
    });
    expect(gauges(a)).toEqual({ total: 1, idle: 1, acquired: 0, constructing: 0, pending: 0 });
    expect(gauges(b)).toEqual({ total: 1, idle: 1, acquired: 0, constructing: 0, pending: 0 });
    expect(b).toBeInstanceOf(Pool);
  });
});
