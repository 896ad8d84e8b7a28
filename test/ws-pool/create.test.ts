// createPool() and the first fill of minConns: dials in parallel (observed at the server, not by
// the clock), rejects with the dial error when the first fill fails, and then closes what it opened.
import { describe, expect, it } from 'vitest';
import { Pool, createPool } from '../../src/index.js';
import { expectNoNewHandles, freePort, snapshotHandles, trackTimers } from '../helpers/index.js';
import {
  PoolJar,
  echo,
  gauges,
  startPeerServer,
  statOf,
  until,
  within,
  wsErrorOf,
  useSuiteServer,
} from './support.js';

const jar = new PoolJar();
const server = useSuiteServer(() => startPeerServer(), jar);

describe('createPool', () => {
  it('fills minConns with every dial in flight at once (100 upgrades held by the server together)', async () => {
    const N = 100;
    let pending = 0;
    let mostPending = 0;
    const held: (() => void)[] = [];
    const releaseAll = (): void => {
      for (const done of held.splice(0)) done();
    };
    // Safety valve only: if dials were serial the first would wait here, the test would then see
    // mostPending === 1 and fail on the assertion instead of hanging.
    const valve = setTimeout(releaseAll, 3_000);
    const gated = await startPeerServer({
      verifyClient: (_info, done) => {
        pending++;
        mostPending = Math.max(mostPending, pending);
        held.push(() => {
          pending--;
          done(true);
        });
        if (pending === N) releaseAll();
      },
    });
    try {
      const pool = await within(
        createPool({ url: gated.url, minConns: N, maxConns: N }),
        10_000,
        'createPool',
      );
      jar.add(pool);
      expect(mostPending).toBe(N);
      expect(gauges(pool)).toEqual({ total: N, idle: N, acquired: 0, constructing: 0, pending: 0 });
      expect(statOf(pool).newConnsCount).toBe(N);
      expect(gated.open).toBe(N);
    } finally {
      clearTimeout(valve);
      releaseAll();
      await jar.closeAll();
      await gated.close();
    }
  });

  it('resolves with idle, usable connections and no dial beyond minConns', async () => {
    const before = server.peers.length;
    const pool = jar.add(await createPool({ url: server.url, minConns: 3, maxConns: 5 }));
    expect(gauges(pool)).toEqual({ total: 3, idle: 3, acquired: 0, constructing: 0, pending: 0 });
    expect(server.peers.length).toBe(before + 3);
    const conn = await pool.acquire();
    expect(await echo(conn, 'hi')).toBe('hi');
    conn.release();
    expect(server.peers.length).toBe(before + 3);
  });

  it('minConns 0 resolves at once and dials nothing', async () => {
    const before = server.peers.length;
    const pool = jar.add(await createPool({ url: server.url, maxConns: 2 }));
    expect(statOf(pool).totalConns).toBe(0);
    expect(server.peers.length).toBe(before);
  });

  it('new Pool() starts the fill synchronously, in the background', async () => {
    const pool = jar.pool({ url: server.url, minConns: 3, maxConns: 3 });
    expect(gauges(pool)).toEqual({ total: 3, idle: 0, acquired: 0, constructing: 3, pending: 0 });
    await until(() => pool.stat().idleConns === 3, 'the background fill');
  });

  it('rejects with the dial error if the first fill fails, closing the connections it did open', async () => {
    const boom = new Error('second dial refused');
    let calls = 0;
    const before = server.peers.length;
    const error = await wsErrorOf(
      createPool({
        url: server.url,
        minConns: 3,
        maxConns: 3,
        beforeConnect: () => {
          if (++calls === 2) throw boom;
        },
      }),
      'WSPOOL_ERR_CONNECT_FAILED',
    );
    expect(error.cause).toBe(boom);
    const opened = server.peers.slice(before);
    expect(opened).toHaveLength(2);
    await until(() => opened.every((p) => p.closedWith !== undefined), 'the opened connections to close');
    for (const peer of opened) expect(peer.closedWith?.code).toBe(1000);
  });

  it('against a dead port rejects CONNECT_FAILED and leaves no socket and no timer', async () => {
    const timers = trackTimers();
    try {
      const before = snapshotHandles();
      const dead = `ws://127.0.0.1:${await freePort()}`;
      const error = await wsErrorOf(
        createPool({ url: dead, minConns: 2, maxConns: 2 }),
        'WSPOOL_ERR_CONNECT_FAILED',
      );
      expect((error.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
      await expectNoNewHandles(before, { timers });
    } finally {
      timers.stop();
    }
  });

  it('a Pool whose first fill failed keeps retrying in the background and reaches minConns', async () => {
    let down = true;
    const pool = jar.pool({
      url: server.url,
      minConns: 2,
      maxConns: 2,
      beforeConnect: () => {
        if (down) throw new Error('down');
      },
    });
    await until(() => pool.stat().failedConnectCount >= 2, 'the first fill to fail');
    down = false;
    await until(() => pool.stat().idleConns === 2, 'the background refill', 5_000);
    expect(pool).toBeInstanceOf(Pool);
  });
});
