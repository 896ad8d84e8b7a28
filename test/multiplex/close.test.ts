// MultiplexPool.close(): idempotent; requests in flight and queued reject WSPOOL_ERR_POOL_CLOSED as
// soon as it is called, and new ones too; resolves once every socket is closed, a dial under way
// included, leaving no timer and no handle behind.
import { describe, expect, it, vi } from 'vitest';
import { JsonRpcPool, type JsonRpcPoolConfig } from '../../src/index.js';
import { expectNoNewHandles, snapshotHandles, trackTimers } from '../helpers/index.js';
import { startRpcServer } from './json-rpc-server.js';
import {
  PoolJar,
  expectNothingPending,
  gate,
  track,
  turns,
  until,
  useFakeClock,
  within,
  wsErrorOf,
  useSuiteServer,
} from './support.js';

const jar = new PoolJar();
const server = useSuiteServer(
  () => startRpcServer(),
  jar,
  (s) => {
    s.releaseHeld();
  },
);

function rpc(config: Partial<JsonRpcPoolConfig> = {}): JsonRpcPool {
  return jar.add(new JsonRpcPool({ url: server.url, healthCheckPeriod: Infinity, ...config }));
}

describe('close()', () => {
  it('rejects in-flight and queued requests WSPOOL_ERR_POOL_CLOSED at once, then every new one', async () => {
    const pool = rpc({ maxConns: 1, maxInFlightPerConn: 2 });
    const inFlight = [track(pool.call('hold')), track(pool.call('hold'))];
    await until(() => server.held === 2, 'two calls to reach the server');
    const queued = [track(pool.call('echo')), track(pool.notify('n'))];
    expect(pool.stat()).toMatchObject({ inFlight: 2, queuedRequests: 2 });
    const closing = pool.close();
    await turns(1); // one turn for the rejections to land; the sockets need longer to close
    for (const outcome of [...inFlight, ...queued]) {
      expect(outcome.status).toBe('rejected');
      expect(outcome.error).toMatchObject({ code: 'WSPOOL_ERR_POOL_CLOSED' });
    }
    expect(pool.stat()).toMatchObject({ inFlight: 0, queuedRequests: 0 });
    await wsErrorOf(pool.call('echo'), 'WSPOOL_ERR_POOL_CLOSED');
    await wsErrorOf(pool.notify('n'), 'WSPOOL_ERR_POOL_CLOSED');
    await within(closing, 5_000, 'close');
    await until(() => server.open === 0, 'the server to see the socket close');
    expect(pool.stat().totalConns).toBe(0);
    expectNothingPending(pool);
    // Replies that were on their way are dropped quietly.
    server.releaseHeld();
  });

  it('is idempotent: every call returns the same promise, and `closed` turns true', async () => {
    const pool = rpc();
    await pool.call('echo');
    expect(pool.closed).toBe(false);
    const first = pool.close();
    expect(pool.close({ timeout: 5 })).toBe(first);
    expect(pool.closed).toBe(true);
    await within(first, 5_000, 'close');
    await within(pool.close(), 5_000, 'a later close');
  });

  it('does not wait for a dial still in beforeConnect: it is abandoned and never reaches the server', async () => {
    const hook = gate();
    const pool = rpc({ beforeConnect: () => hook.promise });
    const call = track(pool.call('echo'));
    await until(() => pool.stat().constructingConns === 1, 'the dial to start');
    const accepted = server.accepted;
    const closing = track(pool.close());
    await turns();
    expect(call.status).toBe('rejected');
    await until(() => closing.status === 'fulfilled', 'close, with the hook still pending');
    hook.open();
    await turns();
    expect(server.accepted).toBe(accepted); // the aborted dial never reached the server
    expect(pool.stat()).toMatchObject({ totalConns: 0, constructingConns: 0, newConnsCount: 0 });
  });

  it('`await using` closes the pool at the end of the scope', async () => {
    let leaked: JsonRpcPool | undefined;
    {
      await using pool = new JsonRpcPool({ url: server.url });
      expect(await pool.call('echo', [1])).toEqual([1]);
      leaked = pool;
    }
    expect(leaked.closed).toBe(true);
    await until(() => server.open === 0, 'the server to see the socket close');
  });

  it('rejects a bad timeout with WSPOOL_ERR_INVALID_CONFIG', async () => {
    const pool = rpc();
    await wsErrorOf(pool.close({ timeout: -1 }), 'WSPOOL_ERR_INVALID_CONFIG');
  });

  it('leaves no timer and no socket behind', async () => {
    const timers = trackTimers();
    try {
      const before = snapshotHandles();
      const pool = new JsonRpcPool({
        url: server.url,
        minConns: 2,
        maxConns: 3,
        maxInFlightPerConn: 2,
        healthCheckPeriod: 50,
        pingIdleAfter: 0,
        requestTimeout: 10_000,
      });
      await Promise.all(Array.from({ length: 10 }, (_, i) => pool.call('echo', [i])));
      const pending = track(pool.call('hang', [], { timeout: 60_000 })); // a deadline still armed
      const queued = Array.from({ length: 6 }, () => track(pool.call('hold')));
      await until(() => pool.stat().inFlight === 6, 'the pool to fill');
      await pool.close();
      expect([pending, ...queued].every((o) => o.status === 'rejected')).toBe(true);
      await until(() => server.open === 0, 'the server to see every socket close');
      await expectNoNewHandles(before, { timers });
    } finally {
      timers.stop();
    }
  });

  it('leaves no fake timer after close, and no background work afterwards', async () => {
    useFakeClock();
    const pool = rpc({ minConns: 2, maxConns: 2, healthCheckPeriod: 1_000 });
    await until(() => pool.stat().totalConns === 2 && pool.stat().constructingConns === 0, 'the fill');
    const pending = track(pool.call('hang'));
    await until(() => pool.stat().inFlight === 1, 'the call to be sent');
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    await pool.close();
    expect(pending.status).toBe('rejected');
    expect(vi.getTimerCount()).toBe(0);
    const accepted = server.accepted;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(server.accepted).toBe(accepted);
    expect(vi.getTimerCount()).toBe(0);
  });
});
