// MultiplexPool shares the exclusive pool's dial path (ws-pool/open-connection.ts): a beforeConnect
// or afterConnect that never settles is raced against close(), close({ timeout }), the request's
// timeout and its abort. close() never waits for the hook, and the socket afterConnect held is closed.
import { describe, expect, it, vi } from 'vitest';
import { JsonRpcPool } from '../../src/index.js';
import { hangingHook, newHang } from '../helpers/hooks.js';
import { startRpcServer } from './json-rpc-server.js';
import { PoolJar, track, until, useFakeClock, useSuiteServer, type Outcome } from './support.js';

const jar = new PoolJar();
const server = useSuiteServer(
  () => startRpcServer(),
  jar,
  (s) => {
    s.releaseHeld();
  },
);

type Bound = 'close()' | 'close({ timeout })' | 'request timeout' | 'abort';

describe.each(['beforeConnect', 'afterConnect'] as const)('%s that never settles', (hook) => {
  it.each<Bound>(['close()', 'close({ timeout })', 'request timeout', 'abort'])(
    'loses to %s',
    async (bound) => {
      useFakeClock();
      const hang = newHang();
      const pool = jar.add(
        new JsonRpcPool({
          url: server.url,
          maxConns: 1,
          healthCheckPeriod: Infinity,
          ...hangingHook(hook, hang),
        }),
      );
      const controller = new AbortController();
      const calling = track(
        pool.call(
          'echo',
          [1],
          bound === 'request timeout'
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
      else await vi.advanceTimersByTimeAsync(200);
      await until(() => calling.status !== 'pending', 'the call');
      if (bound === 'abort') expect(calling.error).toBe(reason);
      else if (bound === 'request timeout')
        expect(calling.error).toMatchObject({ code: 'WSPOOL_ERR_REQUEST_TIMEOUT' });
      else expect(calling.error).toMatchObject({ code: 'WSPOOL_ERR_POOL_CLOSED' });
      // Whatever the bound, close() never waits for the hook, with the clock standing still.
      closing ??= track(pool.close());
      await until(() => closing.status === 'fulfilled', 'close() with the hook still pending');
      await until(() => server.open === 0, 'the server to see every socket closed');
      expect(pool.stat().totalConns).toBe(0);
      const read = hang.read;
      if (read !== undefined) {
        await until(() => read.status !== 'pending', 'the hook’s pending read to reject');
        expect(read.status).toBe('rejected');
      }
    },
  );
});
