// Every Pool hook that never settles, raced against close(), close({ timeout }), the acquire's
// timeout and its abort: the bound always wins, on time, the connection the hook held is closed, and
// nothing is left behind. (MultiplexPool's dial hooks, which share the dial path, are raced in
// test/multiplex/dial-hooks.test.ts.)
import { describe, expect, it, vi } from 'vitest';
import {
  PoolJar,
  gauges,
  hangingHook,
  newHang,
  startPeerServer,
  track,
  turns,
  until,
  useFakeClock,
  useSuiteServer,
  whoami,
  within,
  type Outcome,
} from './support.js';

const jar = new PoolJar();
const server = useSuiteServer(() => startPeerServer(), jar);

type Bound = 'close()' | 'close({ timeout })' | 'acquire timeout' | 'abort';
const bounds: Bound[] = ['close()', 'close({ timeout })', 'acquire timeout', 'abort'];

describe.each(['beforeConnect', 'afterConnect', 'beforeAcquire'] as const)(
  '%s that never settles',
  (hook) => {
    it.each(bounds)('loses to %s: the acquire rejects on time, the connection is closed', async (bound) => {
      useFakeClock();
      const hang = newHang();
      const pool = jar.pool({
        url: server.url,
        maxConns: 1,
        healthCheckPeriod: Infinity,
        ...hangingHook(hook, hang),
      });
      const controller = new AbortController();
      const accepted = server.peers.length;
      const acquiring = track(
        pool.acquire(
          bound === 'acquire timeout'
            ? { timeout: 200 }
            : bound === 'abort'
              ? { signal: controller.signal }
              : {},
        ),
      );
      await until(() => hang.entered, `${hook} to start`);
      const reason = new Error('gave up');
      let closing: Outcome<void> | undefined;
      if (bound === 'close()') closing = track(pool.close());
      else if (bound === 'close({ timeout })') closing = track(pool.close({ timeout: 10_000 }));
      else if (bound === 'abort') controller.abort(reason);
      else {
        await vi.advanceTimersByTimeAsync(199);
        expect(acquiring.status).toBe('pending');
        await vi.advanceTimersByTimeAsync(1);
      }
      // No clock moves from here on: the bound has already fired.
      await until(() => acquiring.status !== 'pending', 'the acquire');
      if (bound === 'abort') expect(acquiring.error).toBe(reason);
      else if (bound === 'acquire timeout')
        expect(acquiring.error).toMatchObject({ code: 'WSPOOL_ERR_ACQUIRE_TIMEOUT' });
      else expect(acquiring.error).toMatchObject({ code: 'WSPOOL_ERR_POOL_CLOSED' });
      if (closing !== undefined) await until(() => closing.status === 'fulfilled', 'close()');
      await until(() => pool.stat().totalConns === 0, 'the hooked connection to leave the pool');
      expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
      for (const peer of server.peers.slice(accepted)) {
        await until(() => peer.closedWith !== undefined, `the server to see peer ${peer.id} closed`);
      }
      if (hang.read !== undefined) {
        await until(() => hang.read!.status !== 'pending', 'the hook’s pending read to reject');
        expect(hang.read.status).toBe('rejected');
      }
    });
  },
);

describe('afterRelease that never settles', () => {
  async function heldByAfterRelease(): Promise<{ pool: ReturnType<PoolJar['pool']>; id: number }> {
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      healthCheckPeriod: Infinity,
      afterRelease: () => new Promise<boolean>(() => undefined),
    });
    const conn = await pool.acquire();
    const id = await whoami(conn);
    conn.release(); // the hook now holds the slot
    return { pool, id };
  }

  it.each(['close()', 'close({ timeout })'] as const)(
    'loses to %s: the connection is closed at once',
    async (bound) => {
      const { pool, id } = await heldByAfterRelease();
      await within(bound === 'close()' ? pool.close() : pool.close({ timeout: 10_000 }), 2_000, bound);
      await until(() => server.peer(id).closedWith !== undefined, 'the server to see it closed');
      expect(pool.stat().totalConns).toBe(0);
    },
  );

  it('an acquire waiting behind it times out on time; an aborted one rejects at once', async () => {
    useFakeClock();
    const { pool } = await heldByAfterRelease();
    const timed = track(pool.acquire({ timeout: 200 }));
    const controller = new AbortController();
    const aborted = track(pool.acquire({ signal: controller.signal }));
    const reason = new Error('stop');
    controller.abort(reason);
    await until(() => aborted.status !== 'pending', 'the aborted acquire');
    expect(aborted.error).toBe(reason);
    await vi.advanceTimersByTimeAsync(200);
    await until(() => timed.status !== 'pending', 'the timed acquire');
    expect(timed.error).toMatchObject({ code: 'WSPOOL_ERR_ACQUIRE_TIMEOUT' });
  });
});

describe('beforeClose that never settles', () => {
  function hangingBeforeClose(): ReturnType<PoolJar['pool']> {
    return jar.pool({
      url: server.url,
      maxConns: 1,
      closeTimeout: 10_000,
      healthCheckPeriod: Infinity,
      beforeClose: () => new Promise<void>(() => undefined),
    });
  }

  it('close({ timeout: 0 }) does not wait for it', async () => {
    useFakeClock();
    const pool = hangingBeforeClose();
    const conn = await pool.acquire();
    const id = await whoami(conn);
    conn.release();
    const closing = track(pool.close({ timeout: 0 }));
    await until(() => closing.status === 'fulfilled', 'close({ timeout: 0 }) without the clock moving');
    await until(() => server.peer(id).closedWith !== undefined, 'the server to see it closed');
  });

  it('close({ timeout }) cuts it short at its timeout, before closeTimeout', async () => {
    useFakeClock();
    const pool = hangingBeforeClose();
    (await pool.acquire()).release();
    const closing = track(pool.close({ timeout: 300 }));
    await turns(5);
    expect(closing.status).toBe('pending');
    await vi.advanceTimersByTimeAsync(300);
    await until(() => closing.status === 'fulfilled', 'close at its timeout');
  });

  it('close() waits for it closeTimeout at most', async () => {
    useFakeClock();
    const pool = hangingBeforeClose();
    (await pool.acquire()).release();
    const closing = track(pool.close());
    await vi.advanceTimersByTimeAsync(9_999);
    expect(closing.status).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    await until(() => closing.status === 'fulfilled', 'close at closeTimeout');
  });

  it('does not hold up an acquire with a timeout: the destroyed connection’s slot is free at once', async () => {
    useFakeClock();
    const pool = hangingBeforeClose();
    const conn = await pool.acquire();
    const id = await whoami(conn);
    conn.destroy();
    const next = await within(pool.acquire({ timeout: 200 }), 2_000, 'an acquire while beforeClose hangs');
    expect(await whoami(next)).not.toBe(id);
    next.release();
  });
});
