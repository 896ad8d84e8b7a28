// Requests against a real JSON-RPC server on 127.0.0.1:0 that answers out of order: matching by id
// at volume, remote errors, timeouts and the late replies they leave, aborts, queueing and its
// bound, and the leak check after each.
import { describe, expect, it, vi } from 'vitest';
import { JsonRpcPool, MultiplexPool, WsPoolError, type Codec } from '../../src/index.js';
import { startRpcServer } from './json-rpc-server.js';
import {
  PoolJar,
  expectNothingPending,
  track,
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
    s.maxDelay = 0;
    s.releaseHeld();
  },
);

function rpc(config: Partial<ConstructorParameters<typeof JsonRpcPool>[0]> = {}): JsonRpcPool {
  return jar.add(new JsonRpcPool({ url: server.url, healthCheckPeriod: Infinity, ...config }));
}

describe('matching replies by id', () => {
  it('10 000 concurrent calls answered out of order are all matched to their callers', async () => {
    server.maxDelay = 20;
    const pool = rpc({ maxConns: 4, maxInFlightPerConn: 256 });
    const order: number[] = [];
    const calls = Array.from({ length: 10_000 }, (_, i) =>
      pool.call<[number, string]>('echo', [i, `p${i}`]).then((result) => {
        order.push(i);
        return result;
      }),
    );
    const results = await within(Promise.all(calls), 20_000, '10 000 calls');
    results.forEach((result, i) => expect(result).toEqual([i, `p${i}`]));
    // The server really answered out of order: completion order differs from call order.
    expect(order).not.toEqual([...order].sort((a, b) => a - b));
    const stat = pool.stat();
    expect(stat.requestCount).toBe(10_000);
    expect(stat.inFlight).toBe(0);
    expect(stat.queuedRequests).toBe(0);
    expect(stat.totalConns).toBeLessThanOrEqual(4);
    expect(stat.lateReplies).toBe(0);
    expectNothingPending(pool);
  });

  it('an error response rejects WSPOOL_ERR_REMOTE with the error object as data; other calls are unaffected', async () => {
    const pool = rpc();
    const failing = pool.call('fail', ['x']);
    const ok = pool.call('add', [2, 3]);
    const error = await wsErrorOf(failing, 'WSPOOL_ERR_REMOTE');
    expect(error.data).toEqual({ code: -32000, message: 'failed on purpose', data: { params: ['x'] } });
    expect(error.message).toContain('failed on purpose');
    expect(await ok).toBe(5);
    const missing = await wsErrorOf(pool.call('nope'), 'WSPOOL_ERR_REMOTE');
    expect(missing.data).toMatchObject({ code: -32601 });
    expectNothingPending(pool);
  });

  it('a codec whose encode throws rejects that request with the throw; the pool carries on', async () => {
    const pool = rpc();
    await wsErrorOf(pool.call('m', 5 as never), 'WSPOOL_ERR_INVALID_CONFIG');
    await wsErrorOf(pool.call('m', [1n]), 'WSPOOL_ERR_INVALID_JSON');
    expect(await pool.call('echo', [1])).toEqual([1]);
    expectNothingPending(pool);
  });
});

describe('timeouts and late replies', () => {
  it('rejects WSPOOL_ERR_REQUEST_TIMEOUT at the deadline; a reply that comes later is dropped and counted', async () => {
    useFakeClock();
    const pool = rpc({ requestTimeout: 1_000 });
    const a = track(pool.call('hold'));
    const b = track(pool.call('hold', [], { timeout: 400 }));
    await until(() => server.held === 2, 'both calls to reach the server');
    await vi.advanceTimersByTimeAsync(399);
    expect(b.status).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    await until(() => b.status === 'rejected', 'the 400 ms timeout');
    expect(a.status).toBe('pending');
    expect(b.error).toMatchObject({ code: 'WSPOOL_ERR_REQUEST_TIMEOUT' });
    await vi.advanceTimersByTimeAsync(600);
    await until(() => a.status === 'rejected', 'the 1 000 ms timeout');
    expect(a.error).toMatchObject({ code: 'WSPOOL_ERR_REQUEST_TIMEOUT' });
    expect(pool.stat()).toMatchObject({ timedOutRequests: 2, inFlight: 0, lateReplies: 0 });
    expect(server.releaseHeld()).toBe(2);
    await until(() => pool.stat().lateReplies === 2, 'the late replies to arrive');
    expect(pool.stat().unmatchedMessages).toBe(0);
    expect(await pool.call('echo', ['after'])).toEqual(['after']);
    expectNothingPending(pool);
  });

  it('the timeout counts time spent queued', async () => {
    useFakeClock();
    const pool = rpc({ maxConns: 1, maxInFlightPerConn: 1, requestTimeout: Infinity });
    const holding = track(pool.call('hold'));
    await until(() => server.held === 1, 'the first call to reach the server');
    const queued = track(pool.call('echo', [], { timeout: 300 }));
    expect(pool.stat().queuedRequests).toBe(1);
    await vi.advanceTimersByTimeAsync(300);
    await until(() => queued.status === 'rejected', 'the queued call to time out');
    expect(queued.error).toMatchObject({ code: 'WSPOOL_ERR_REQUEST_TIMEOUT' });
    expect(pool.stat()).toMatchObject({ queuedRequests: 0, inFlight: 1, timedOutRequests: 1 });
    server.releaseHeld();
    await until(() => holding.status === 'fulfilled', 'the held call');
    expectNothingPending(pool);
  });
});

describe('abort', () => {
  it('rejects with signal.reason, forgets the id, and drops the reply that comes later', async () => {
    const pool = rpc();
    const controller = new AbortController();
    const call = pool.call('hold', [], { signal: controller.signal });
    await until(() => server.held === 1, 'the call to reach the server');
    const reason = new Error('user gave up');
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
    expect(pool.stat().inFlight).toBe(0);
    server.releaseHeld();
    await until(() => pool.stat().lateReplies === 1, 'the dropped reply');
    expectNothingPending(pool);
  });

  it('an aborted signal rejects at once and sends nothing; a queued request leaves the queue', async () => {
    const pool = rpc({ maxConns: 1, maxInFlightPerConn: 1 });
    const before = server.calls;
    await expect(pool.call('echo', [], { signal: AbortSignal.abort('early') })).rejects.toBe('early');
    expect(server.calls).toBe(before);
    const holding = pool.call('hold');
    await until(() => server.held === 1, 'the first call to reach the server');
    const controller = new AbortController();
    const queued = pool.call('echo', [], { signal: controller.signal });
    expect(pool.stat().queuedRequests).toBe(1);
    controller.abort('later');
    await expect(queued).rejects.toBe('later');
    expect(pool.stat().queuedRequests).toBe(0);
    server.releaseHeld();
    expect(await holding).toBe('late');
    expectNothingPending(pool);
  });
});

describe('queueing', () => {
  it('beyond maxInFlightPerConn × maxConns requests queue FIFO; past maxWaiting they reject WSPOOL_ERR_POOL_EXHAUSTED', async () => {
    const pool = rpc({ maxConns: 1, maxInFlightPerConn: 1, maxWaiting: 2 });
    const first = pool.call('hold');
    await until(() => server.held === 1, 'the first call to reach the server');
    const order: string[] = [];
    const second = pool.call('echo', ['b']).then(() => order.push('b'));
    const third = pool.call('echo', ['c']).then(() => order.push('c'));
    expect(pool.stat().queuedRequests).toBe(2);
    const error = await wsErrorOf(pool.call('echo', ['d']), 'WSPOOL_ERR_POOL_EXHAUSTED');
    expect(error.message).toMatch(/maxWaiting/);
    server.releaseHeld();
    await Promise.all([first, second, third]);
    expect(order).toEqual(['b', 'c']);
    expectNothingPending(pool);
  });

  it('send() is fire and forget: the frame carries no id; before any connection it waits for one', async () => {
    const pool = rpc();
    const before = server.notifications.length;
    await pool.notify('hello', { n: 1 }); // no connection yet: queued, sent once one is open
    await pool.notify('again');
    await until(() => server.notifications.length === before + 2, 'the notifications to arrive');
    expect(server.notifications.slice(before)).toEqual([
      { jsonrpc: '2.0', method: 'hello', params: { n: 1 } },
      { jsonrpc: '2.0', method: 'again' },
    ]);
    expect(pool.stat().requestCount).toBe(0);
    expectNothingPending(pool);
  });
});

describe('request options', () => {
  it('a bad timeout or signal rejects WSPOOL_ERR_INVALID_CONFIG without sending', async () => {
    const codec: Codec<string, string> = {
      encode: (req, id) => `${id ?? '-'} ${req}`,
      decode: () => undefined,
    };
    const pool = jar.add(new MultiplexPool({ url: server.url, codec, healthCheckPeriod: Infinity }));
    for (const options of [
      { timeout: 0 },
      { timeout: -1 },
      { timeout: NaN },
      { signal: {} as AbortSignal },
    ]) {
      const error = await pool.request('x', options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WsPoolError);
      expect(error).toMatchObject({ code: 'WSPOOL_ERR_INVALID_CONFIG' });
    }
    expect(pool.stat()).toMatchObject({ totalConns: 0, requestCount: 0 });
  });
});
