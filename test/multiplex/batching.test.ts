// JsonRpcPool's automatic batching (`batch` option) against a real JSON-RPC server: what goes out
// as one frame, how replies are matched (one shuffled array, or separate frames), and every way a
// batched call can end before or after its batch is sent.
import { describe, expect, it, vi } from 'vitest';
import { JsonRpcPool, MultiplexPool, WsPoolError } from '../../src/index.js';
import { startRpcServer } from './json-rpc-server.js';
import {
  PoolJar,
  expectNothingPending,
  track,
  turns,
  until,
  useFakeClock,
  useSuiteServer,
  wsErrorOf,
} from './support.js';

const jar = new PoolJar();
const server = useSuiteServer(
  () => startRpcServer(),
  jar,
  (s) => {
    s.maxDelay = 0;
    s.separateBatchReplies = false;
    s.batchSizes.length = 0;
    s.releaseHeld();
  },
);

type Config = Partial<ConstructorParameters<typeof JsonRpcPool>[0]>;

function rpc(config: Config = {}): JsonRpcPool {
  return jar.add(new JsonRpcPool({ url: server.url, healthCheckPeriod: Infinity, batch: true, ...config }));
}

/** A pool whose connections are open, and the server's batch record cleared of the opening call. */
async function ready(config: Config = {}): Promise<JsonRpcPool> {
  const pool = rpc(config);
  await pool.call('echo');
  await until(() => pool.stat().totalConns === (config.minConns ?? 1), 'the connections to open');
  server.batchSizes.length = 0;
  return pool;
}

function echoes(pool: JsonRpcPool, n: number): Promise<unknown>[] {
  return Array.from({ length: n }, (_, i) => pool.call('echo', [i]));
}

describe('the batch option', () => {
  it.each([
    ['batch', 'yes'],
    ['batch', 0],
    ['batch', null],
    ['batch', [1]],
    ['batch.maxSize', { maxSize: 0 }],
    ['batch.maxSize', { maxSize: 1.5 }],
    ['batch.wait', { wait: -1 }],
    ['batch.wait', { wait: Infinity }],
    ['maxsize', { maxsize: 10 }],
  ])('rejects a bad value with WSPOOL_ERR_INVALID_CONFIG naming `%s`', (field, batch) => {
    let thrown: unknown;
    try {
      new JsonRpcPool({ url: server.url, batch: batch as never });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(WsPoolError);
    expect(thrown).toMatchObject({ code: 'WSPOOL_ERR_INVALID_CONFIG' });
    expect((thrown as Error).message).toContain(`\`${field}\``);
  });

  it('is not an option of MultiplexPool', () => {
    const codec = { encode: () => '', decode: () => undefined };
    expect(() => new MultiplexPool({ url: server.url, codec, batch: true } as never)).toThrow(/`batch`/);
  });

  it('off (the default), calls of one turn go out as frames of their own', async () => {
    const pool = jar.add(new JsonRpcPool({ url: server.url, healthCheckPeriod: Infinity }));
    await pool.call('echo');
    expect(await Promise.all(echoes(pool, 10))).toEqual(Array.from({ length: 10 }, (_, i) => [i]));
    expect(server.batchSizes).toEqual([]);
  });
});

describe('one frame per turn', () => {
  it('calls of one turn leave as one batch frame on one connection; a shuffled array reply is matched by id', async () => {
    const pool = await ready({ minConns: 4, maxConns: 4 });
    const calls = [...echoes(pool, 9), pool.call('whoami')];
    const results = await Promise.all(calls);
    expect(results.slice(0, 9)).toEqual(Array.from({ length: 9 }, (_, i) => [i]));
    expect(server.batchSizes).toEqual([10]);
    expect(pool.stat().requestCount).toBe(11); // each call is a request of its own
    expectNothingPending(pool);
  });

  it('replies sent as separate frames, in another order, are matched entry by entry', async () => {
    server.separateBatchReplies = true;
    server.maxDelay = 5;
    const pool = await ready();
    const results = await Promise.all([...echoes(pool, 20), pool.call('add', [2, 3])]);
    expect(server.batchSizes).toEqual([21]);
    expect(results.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => [i]));
    expect(results[20]).toBe(5);
    expect(pool.stat()).toMatchObject({ lateReplies: 0, unmatchedMessages: 0 });
  });

  it('an error entry rejects its own call only, with WSPOOL_ERR_REMOTE', async () => {
    const pool = await ready();
    const failed = wsErrorOf(pool.call('fail', [7]), 'WSPOOL_ERR_REMOTE');
    const fine = pool.call('echo', ['ok']);
    expect((await failed).data).toMatchObject({ code: -32000 });
    expect(await fine).toEqual(['ok']);
    expect(server.batchSizes).toEqual([2]);
  });

  it('a batch of one call goes out as that call alone', async () => {
    const pool = await ready();
    expect(await pool.call('echo', ['alone'])).toEqual(['alone']);
    expect(server.batchSizes).toEqual([]);
  });

  it('splits at maxSize: 250 calls of one turn are frames of 100, 100 and 50', async () => {
    const pool = await ready({ batch: { maxSize: 100 }, maxConns: 1 });
    const results = await Promise.all(echoes(pool, 250));
    expect(results).toEqual(Array.from({ length: 250 }, (_, i) => [i]));
    expect(server.batchSizes).toEqual([100, 100, 50]);
  });

  it('a connection full to maxInFlightPerConn sends its batch; the next calls batch on another connection', async () => {
    const pool = await ready({ minConns: 2, maxConns: 2, maxInFlightPerConn: 5 });
    const [one, two] = [echoes(pool, 5), echoes(pool, 3)];
    await Promise.all([...one, ...two]);
    expect(server.batchSizes).toEqual([5, 3]);
  });

  it('notifications join the batch and resolve once it is written', async () => {
    const pool = await ready();
    const before = server.notifications.length;
    const sent = pool.notify('log', ['batched']);
    const answer = pool.call('echo', ['x']);
    const second = pool.notify('log', ['too']);
    await expect(sent).resolves.toBeUndefined();
    await expect(second).resolves.toBeUndefined();
    expect(await answer).toEqual(['x']);
    expect(server.batchSizes).toEqual([3]);
    expect(server.notifications.slice(before)).toEqual([
      { jsonrpc: '2.0', method: 'log', params: ['batched'] },
      { jsonrpc: '2.0', method: 'log', params: ['too'] },
    ]);
  });

  it('callBatch goes out as its own frame beside a batch', async () => {
    const pool = await ready();
    const single = pool.call('echo', [1]);
    const other = pool.call('echo', [2]);
    const explicit = pool.callBatch([
      { method: 'add', params: [1, 1] },
      { method: 'echo', params: ['b'] },
    ]);
    expect(await explicit).toEqual([2, ['b']]);
    expect(await Promise.all([single, other])).toEqual([[1], [2]]);
    expect([...server.batchSizes].sort()).toEqual([2, 2]);
  });
});

describe('a batched call that ends early', () => {
  it('aborted before the batch is sent: rejects with the reason and is left out of the frame', async () => {
    const pool = await ready();
    const controller = new AbortController();
    const calls = server.calls;
    const aborted = track(pool.call('echo', ['gone'], { signal: controller.signal }));
    const kept = echoes(pool, 2);
    controller.abort(new Error('changed my mind'));
    expect(await Promise.all(kept)).toEqual([[0], [1]]);
    expect(aborted).toMatchObject({ status: 'rejected', error: { message: 'changed my mind' } });
    expect(server.batchSizes).toEqual([2]);
    expect(server.calls).toBe(calls + 2);
    expectNothingPending(pool);
  });

  it('timed out before the batch is sent (wait > 0, fake timers): rejects and is never sent', async () => {
    const pool = await ready({ batch: { wait: 50 } });
    useFakeClock();
    const calls = server.calls;
    const early = track(pool.call('echo', ['late'], { timeout: 10 }));
    const kept = echoes(pool, 2).map((call) => track(call));
    await vi.advanceTimersByTimeAsync(10);
    expect(early).toMatchObject({ status: 'rejected', error: { code: 'WSPOOL_ERR_REQUEST_TIMEOUT' } });
    await turns();
    expect(server.calls).toBe(calls); // the batch waits for its 50 ms
    await vi.advanceTimersByTimeAsync(40);
    await until(() => kept.every((call) => call.status === 'fulfilled'), 'the batch to be answered');
    expect(server.batchSizes).toEqual([2]);
    expect(server.calls).toBe(calls + 2);
    expect(pool.stat().timedOutRequests).toBe(1);
    expectNothingPending(pool);
  });

  it('aborted after the batch was sent: rejects; the reply that comes later is counted late', async () => {
    const pool = await ready();
    const controller = new AbortController();
    const held = track(pool.call('hold', [], { signal: controller.signal }));
    const fine = pool.call('echo', ['y']);
    expect(await fine).toEqual(['y']);
    await until(() => server.held === 1, 'the batch to reach the server');
    controller.abort(new Error('stop'));
    await until(() => held.status === 'rejected', 'the abort');
    expect(server.releaseHeld()).toBe(1);
    await until(() => pool.stat().lateReplies === 1, 'the late reply');
    expectNothingPending(pool);
  });

  it('timed out after the batch was sent: WSPOOL_ERR_REQUEST_TIMEOUT, its batch-mates unharmed', async () => {
    useFakeClock();
    const pool = rpc({ requestTimeout: 1_000 });
    const hung = track(pool.call('hang'));
    const fine = track(pool.call('echo', ['z']));
    await until(() => fine.status === 'fulfilled', 'the answered call');
    await vi.advanceTimersByTimeAsync(1_000);
    await until(() => hung.status === 'rejected', 'the timeout');
    expect(hung.error).toMatchObject({ code: 'WSPOOL_ERR_REQUEST_TIMEOUT' });
    expect(server.batchSizes).toEqual([2]);
    expectNothingPending(pool);
  });

  it('connection lost after the batch was sent: every call of it rejects WSPOOL_ERR_CONNECTION_CLOSED', async () => {
    const pool = await ready();
    const calls = [pool.call('hold'), pool.call('hold'), pool.call('drop')];
    for (const call of calls) await wsErrorOf(call, 'WSPOOL_ERR_CONNECTION_CLOSED');
    expect(server.batchSizes).toEqual([3]);
    expect(await pool.call('echo', ['again'])).toEqual(['again']); // a new connection serves
    expectNothingPending(pool);
  });

  it('connection lost before the batch was sent: its calls reject at once and nothing is sent', async () => {
    const pool = await ready({ batch: { wait: 100 } });
    const calls = server.calls;
    const lost = [pool.call('echo', [1]), pool.call('echo', [2])];
    server.dropAll();
    for (const call of lost) await wsErrorOf(call, 'WSPOOL_ERR_CONNECTION_CLOSED');
    expect(server.calls).toBe(calls);
    expectNothingPending(pool);
  });

  it('close() with a batch waiting: its calls and notifications reject WSPOOL_ERR_POOL_CLOSED, nothing is sent', async () => {
    const pool = await ready({ batch: { wait: 100 } });
    const calls = server.calls;
    const notifications = server.notifications.length;
    const call = pool.call('echo', ['never']);
    const notice = pool.notify('log', ['never']);
    const closing = pool.close();
    await wsErrorOf(call, 'WSPOOL_ERR_POOL_CLOSED');
    await wsErrorOf(notice, 'WSPOOL_ERR_POOL_CLOSED');
    await closing;
    expect(server.calls).toBe(calls);
    expect(server.notifications.length).toBe(notifications);
    expectNothingPending(pool);
  });
});

describe('wait', () => {
  it('holds the batch open for `wait` ms (fake timers): calls of later turns join it', async () => {
    const pool = await ready({ batch: { wait: 50 } });
    useFakeClock();
    const calls = server.calls;
    const first = track(pool.call('echo', ['a']));
    await vi.advanceTimersByTimeAsync(30);
    const second = track(pool.call('echo', ['b']));
    await vi.advanceTimersByTimeAsync(19);
    await turns();
    expect(server.calls).toBe(calls);
    await vi.advanceTimersByTimeAsync(1);
    await until(() => first.status === 'fulfilled' && second.status === 'fulfilled', 'the batch');
    expect([first.value, second.value]).toEqual([['a'], ['b']]);
    expect(server.batchSizes).toEqual([2]);
  });

  it('a full batch does not wait', async () => {
    // No connection is open yet: the calls queue, then go out together when it opens.
    const pool = rpc({ batch: { wait: 60_000, maxSize: 3 } });
    expect(await Promise.all(echoes(pool, 3))).toEqual([[0], [1], [2]]);
    expect(server.batchSizes).toEqual([3]);
  });
});
