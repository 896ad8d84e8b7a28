// Process hygiene: a stray rejection or exception fails a test file (proved with deliberately
// failing fixtures run in a child vitest with the real test/setup.ts), the pools emit no process
// warnings under load, and after close() no socket or timer of the library is active.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { JsonRpcPool, MultiplexPool, Pool, createPool } from '../../src/index.js';
import {
  snapshotHandles,
  startEchoServer,
  startTcpProxy,
  trackTimers,
  type TimerTracker,
} from '../helpers/index.js';
import { measureLeaks, secretUrl } from '../faults/support.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VITEST = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url));
const CONFIG = 'test/security/fixtures/vitest.config.ts';

interface Run {
  code: number;
  output: string;
}

function runFixture(file: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [VITEST, 'run', '--config', CONFIG, `test/security/fixtures/${file}`],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, output: `${stdout}\n${stderr}` });
      },
    );
  });
}

describe('a stray rejection or exception fails the test file (deliberate check)', () => {
  it('an unhandled rejection, an uncaught exception: the run fails naming them; a clean file passes', async () => {
    const [rejection, exception, control] = await Promise.all([
      runFixture('unhandled-rejection.fixture.ts'),
      runFixture('uncaught-exception.fixture.ts'),
      runFixture('control.fixture.ts'),
    ]);
    expect(rejection.code).not.toBe(0);
    expect(rejection.output).toContain('DELIBERATE-UNHANDLED-REJECTION');
    expect(rejection.output).toContain('unhandled-rejection.fixture.ts');
    expect(exception.code).not.toBe(0);
    expect(exception.output).toContain('DELIBERATE-UNCAUGHT-EXCEPTION');
    expect(exception.output).toContain('uncaught-exception.fixture.ts');
    expect(control.code).toBe(0);
    expect(control.output).toContain('1 passed');
  }, 60_000);

  it('test/setup.ts is loaded in this very process (its handler rethrows)', () => {
    const handlers = process.listeners('unhandledRejection');
    const fromSetup = handlers.filter((h) => h.toString().includes('unhandled rejection'));
    expect(fromSetup.length).toBeGreaterThan(0);
    const reason = new Error('probe');
    expect(() => (fromSetup[0] as (r: unknown) => void)(reason)).toThrow(reason);
  });
});

describe('no process warnings', () => {
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => void warnings.push(w);
  let timers: TimerTracker | undefined;
  afterEach(() => {
    process.off('warning', onWarning);
    timers?.stop();
  });

  it('a pool with more than 10 dials in flight adds no listener-leak warning (MaxListenersExceededWarning)', async () => {
    const server = await startEchoServer();
    const proxy = await startTcpProxy(server.port);
    const before = snapshotHandles();
    timers = trackTimers();
    process.on('warning', onWarning);
    proxy.stall(true); // keep every dial in flight at once
    const pool = new Pool({ url: secretUrl(proxy), maxConns: 24, connectTimeout: 5_000 });
    const acquires = Array.from({ length: 24 }, () => pool.acquire());
    await proxy.waitFor((p) => p.accepted >= 24);
    proxy.stall(false);
    const conns = await Promise.all(acquires);
    for (const conn of conns) conn.release();
    expect(pool.stat()).toMatchObject({ idleConns: 24, totalConns: 24 });
    await pool.close();
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.map((w) => `${w.name}: ${w.message}\n${w.stack}`)).toEqual([]);
    expect(await measureLeaks(before, timers)).toBe(0);
    await proxy.close();
    await server.close();
  });
});

describe('no process warnings from the multiplexed pool either', () => {
  it('24 dials in flight at once on a MultiplexPool: no MaxListenersExceededWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    const server = await startEchoServer();
    const proxy = await startTcpProxy(server.port);
    const before = snapshotHandles();
    const timers = trackTimers();
    process.on('warning', onWarning);
    try {
      proxy.stall(true);
      const mux = new MultiplexPool<string, string>({
        url: secretUrl(proxy),
        maxConns: 24,
        maxInFlightPerConn: 1,
        connectTimeout: 5_000,
        codec: {
          encode: (req, id) => JSON.stringify({ id, p: req }),
          decode: (frame) => {
            const o = JSON.parse(String(frame)) as { id?: number; p?: string };
            return typeof o.id === 'number' ? { id: o.id, ok: true, value: String(o.p) } : undefined;
          },
        },
      });
      const requests = Array.from({ length: 24 }, (_, i) => mux.request(`r${i}`, { timeout: 5_000 }));
      await proxy.waitFor((p) => p.accepted >= 24);
      proxy.stall(false);
      expect(await Promise.all(requests)).toEqual(Array.from({ length: 24 }, (_, i) => `r${i}`));
      await mux.close();
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((w) => `${w.name}: ${w.message}\n${w.stack}`)).toEqual([]);
      expect(await measureLeaks(before, timers)).toBe(0);
    } finally {
      process.off('warning', onWarning);
      timers.stop();
      await proxy.close();
      await server.close();
    }
  });
});

describe('after close(), no socket or timer of the library is active', () => {
  it('process.getActiveResourcesInfo() is back to its count before the pool, for a busy pool', async () => {
    const server = await startEchoServer();
    const proxy = await startTcpProxy(server.port);
    const before = process.getActiveResourcesInfo().filter((r) => r !== 'Timeout');
    const tracker = trackTimers();
    const snapshot = snapshotHandles();
    const pool = await createPool({ url: secretUrl(proxy), minConns: 3, maxConns: 6, healthCheckPeriod: 50 });
    await Promise.all(
      Array.from({ length: 12 }, () =>
        pool.withConnection(async (conn) => {
          await conn.sendMessage('x');
          await conn.readMessage({ timeout: 1_000 });
        }),
      ),
    );
    expect(process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length).toBeGreaterThan(
      before.filter((r) => r === 'TCPSocketWrap').length,
    );
    await pool.close();
    expect(await measureLeaks(snapshot, tracker)).toBe(0);
    tracker.stop();
    // Compared per type, never above the count before the pool (a server closed by an earlier test
    // may still have been listed then).
    const after = process.getActiveResourcesInfo();
    const count = (list: string[], type: string): number => list.filter((r) => r === type).length;
    for (const type of ['TCPSocketWrap', 'TLSWrap', 'TCPServerWrap', 'ConnectWrap']) {
      expect(count(after, type)).toBeLessThanOrEqual(count(before, type));
    }
    await proxy.close();
    await server.close();
  });
});

describe('after close(), no socket or timer of the multiplexed pools is active', () => {
  it('MultiplexPool and JsonRpcPool after busy use: back to the counts before them', async () => {
    const server = await startEchoServer();
    const proxy = await startTcpProxy(server.port);
    const before = process.getActiveResourcesInfo();
    const tracker = trackTimers();
    const snapshot = snapshotHandles();
    const mux = new MultiplexPool<string, string>({
      url: secretUrl(proxy),
      minConns: 2,
      maxConns: 4,
      healthCheckPeriod: 50,
      codec: {
        encode: (req, id) => JSON.stringify({ id, p: req }),
        decode: (frame) => {
          const o = JSON.parse(String(frame)) as { id?: number; p?: string };
          return typeof o.id === 'number' ? { id: o.id, ok: true, value: String(o.p) } : undefined;
        },
      },
    });
    await Promise.all(Array.from({ length: 50 }, (_, i) => mux.request(`m${i}`, { timeout: 2_000 })));
    const rpc = new JsonRpcPool({ url: secretUrl(proxy), minConns: 1, healthCheckPeriod: 50 });
    // The echo server sends the call back: not a response, so it is counted, and the call times out.
    await expect(rpc.call('m', [], { timeout: 100 })).rejects.toMatchObject({
      code: 'WSPOOL_ERR_REQUEST_TIMEOUT',
    });
    await mux.close();
    await rpc.close();
    expect(await measureLeaks(snapshot, tracker)).toBe(0);
    tracker.stop();
    const after = process.getActiveResourcesInfo();
    const count = (list: string[], type: string): number => list.filter((r) => r === type).length;
    for (const type of ['TCPSocketWrap', 'TLSWrap', 'TCPServerWrap', 'ConnectWrap']) {
      expect(count(after, type)).toBeLessThanOrEqual(count(before, type));
    }
    await proxy.close();
    await server.close();
  });
});
