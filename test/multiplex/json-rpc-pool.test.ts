// JsonRpcPool against a real JSON-RPC 2.0 server: call, notify, callBatch, error objects, and the
// request diagnostics channels.
import diagnosticsChannel from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import {
  CHANNELS,
  JsonRpcPool,
  MultiplexPool,
  WsPoolError,
  type RequestEndMessage,
  type RequestStartMessage,
} from '../../src/index.js';
import { startScriptedServer } from '../helpers/index.js';
import { startRpcServer } from './json-rpc-server.js';
import { PoolJar, expectNothingPending, until, wsErrorOf, useSuiteServer } from './support.js';

const jar = new PoolJar();
const server = useSuiteServer(() => startRpcServer({ maxDelay: 5 }), jar);

function rpc(): JsonRpcPool {
  return jar.add(new JsonRpcPool({ url: server.url, healthCheckPeriod: Infinity }));
}

describe('call', () => {
  it('resolves the result, with params by position or by name', async () => {
    const pool = rpc();
    expect(await pool.call<number>('add', [20, 22])).toBe(42);
    expect(await pool.call('echo', { a: 1, b: [2] })).toEqual({ a: 1, b: [2] });
    expect(await pool.call('echo')).toBeNull();
  });

  it('an error response rejects WSPOOL_ERR_REMOTE with { code, message, data } as error.data', async () => {
    const pool = rpc();
    const error = await wsErrorOf(pool.call('fail', [1]), 'WSPOOL_ERR_REMOTE');
    expect(error).toBeInstanceOf(WsPoolError);
    expect(error.data).toEqual({ code: -32000, message: 'failed on purpose', data: { params: [1] } });
    expect(error.message).toMatch(/failed on purpose \(code -32000\)/);
  });
});

describe('notify', () => {
  it('sends a notification (no id) and expects nothing back', async () => {
    const pool = rpc();
    await pool.call('echo'); // open a connection first
    const before = server.notifications.length;
    await pool.notify('log', ['hello']);
    await until(() => server.notifications.length === before + 1, 'the notification');
    expect(server.notifications.at(-1)).toEqual({ jsonrpc: '2.0', method: 'log', params: ['hello'] });
    expect(pool.stat().inFlight).toBe(0);
  });
});

describe('callBatch', () => {
  it('sends one frame and resolves results in call order, a failed call as a WsPoolError in its slot', async () => {
    const pool = rpc();
    await pool.call('echo');
    const calls = server.calls;
    const results = await pool.callBatch([
      { method: 'add', params: [1, 2] },
      { method: 'fail', params: ['x'] },
      { method: 'echo', params: { k: 'v' } },
      { method: 'nope' },
    ]);
    expect(server.calls).toBe(calls + 4);
    expect(results[0]).toBe(3);
    expect(results[1]).toBeInstanceOf(WsPoolError);
    expect(results[1]).toMatchObject({
      code: 'WSPOOL_ERR_REMOTE',
      data: { code: -32000, message: 'failed on purpose' },
    });
    expect(results[2]).toEqual({ k: 'v' });
    expect(results[3]).toMatchObject({ code: 'WSPOOL_ERR_REMOTE', data: { code: -32601 } });
    expect(pool.stat().requestCount).toBe(2); // the batch is one request
    expectNothingPending(pool);
  });

  it('a call the server left out of the batch reply is a WsPoolError in its slot', async () => {
    const pool = rpc();
    // `hang` is never answered, so the server's array has no entry for it.
    const [sum, missing] = await pool.callBatch([{ method: 'add', params: [2, 2] }, { method: 'hang' }]);
    expect(sum).toBe(4);
    expect(missing).toMatchObject({ code: 'WSPOOL_ERR_REMOTE' });
    expect((missing as Error).message).toMatch(/no entry for call 1/);
  });

  it('many batches in flight at once are kept apart; an empty batch resolves [] without sending', async () => {
    const pool = rpc();
    const batches = await Promise.all(
      Array.from({ length: 50 }, (_, b) =>
        pool.callBatch(Array.from({ length: 5 }, (_, i) => ({ method: 'add', params: [b, i] }))),
      ),
    );
    batches.forEach((results, b) => expect(results).toEqual([b, b + 1, b + 2, b + 3, b + 4]));
    const calls = server.calls;
    expect(await pool.callBatch([])).toEqual([]);
    expect(server.calls).toBe(calls);
  });

  it('a timeout rejects the whole batch', async () => {
    const pool = rpc();
    await wsErrorOf(pool.callBatch([{ method: 'hang' }], { timeout: 50 }), 'WSPOOL_ERR_REQUEST_TIMEOUT');
    // A bad entry rejects before anything is sent.
    await wsErrorOf(pool.callBatch([{ method: 5 as never }]), 'WSPOOL_ERR_INVALID_CONFIG');
  });
});

describe('callBatch against an out-of-spec server', () => {
  /**
   * A server that answers each batch the way `answer` says, given the entries' ids (`"<batch>:<i>"`);
   * single calls are answered normally.
   */
  async function withBatchServer(
    answer: (ids: string[]) => unknown,
    run: (pool: JsonRpcPool) => Promise<void>,
  ): Promise<void> {
    const odd = await startScriptedServer((ws) => {
      ws.on('message', (data: Buffer) => {
        const parsed = JSON.parse(data.toString()) as { id: unknown }[] | { id: unknown; params: unknown };
        if (Array.isArray(parsed)) ws.send(JSON.stringify(answer(parsed.map((e) => String(e.id)))));
        else ws.send(JSON.stringify({ jsonrpc: '2.0', id: parsed.id, result: parsed.params ?? null }));
      });
    });
    try {
      await run(
        jar.add(new JsonRpcPool({ url: odd.url, healthCheckPeriod: Infinity, requestTimeout: 2_000 })),
      );
    } finally {
      await jar.closeAll();
      await odd.close();
    }
  }
  const batchId = (ids: string[]): number => Number.parseInt(ids[0]!, 10);

  it('rejects a WsPoolError, not a TypeError, when the server answers a batch with one object', async () => {
    await withBatchServer(
      (ids) => ({ jsonrpc: '2.0', id: batchId(ids), result: 'one answer for all' }),
      async (pool) => {
        const error = await wsErrorOf(
          pool.callBatch([{ method: 'a' }, { method: 'b' }]),
          'WSPOOL_ERR_REMOTE',
        );
        expect(error.message).toMatch(/batch/);
        expect(error.data).toBe('one answer for all');
        expect(await pool.call('echo', [1])).toEqual([1]); // the connection carries on
      },
    );
  });

  it('an entry with neither result nor error is a WsPoolError in its slot', async () => {
    await withBatchServer(
      (ids) => [
        { jsonrpc: '2.0', id: ids[0], result: 1 },
        { jsonrpc: '2.0', id: ids[1] },
      ],
      async (pool) => {
        const [one, empty] = await pool.callBatch([{ method: 'a' }, { method: 'b' }]);
        expect(one).toBe(1);
        expect(empty).toBeInstanceOf(WsPoolError);
        expect(empty).toMatchObject({ code: 'WSPOOL_ERR_REMOTE' });
        expect((empty as Error).message).toMatch(/neither a result nor an error/);
      },
    );
  });

  it('an answer of non-objects, an empty array or foreign ids leaves every slot a WsPoolError or times out typed', async () => {
    await withBatchServer(
      (ids) => [
        null,
        5,
        'x',
        { id: `${batchId(ids)}:7`, result: 'out of range' },
        { id: ids[0], result: 'ok' },
      ],
      async (pool) => {
        const [ok, missing] = await pool.callBatch([{ method: 'a' }, { method: 'b' }]);
        expect(ok).toBe('ok');
        expect(missing).toMatchObject({ code: 'WSPOOL_ERR_REMOTE' });
      },
    );
    await withBatchServer(
      () => [],
      async (pool) => {
        await wsErrorOf(pool.callBatch([{ method: 'a' }], { timeout: 100 }), 'WSPOOL_ERR_REQUEST_TIMEOUT');
      },
    );
  });
});

describe('diagnostics', () => {
  function record() {
    const starts: RequestStartMessage[] = [];
    const ends: RequestEndMessage[] = [];
    const onStart = (m: unknown) => starts.push(m as RequestStartMessage);
    const onEnd = (m: unknown) => ends.push(m as RequestEndMessage);
    diagnosticsChannel.subscribe(CHANNELS.requestStart, onStart);
    diagnosticsChannel.subscribe(CHANNELS.requestEnd, onEnd);
    return {
      starts,
      ends,
      stop() {
        diagnosticsChannel.unsubscribe(CHANNELS.requestStart, onStart);
        diagnosticsChannel.unsubscribe(CHANNELS.requestEnd, onEnd);
      },
    };
  }

  it('publishes request:start { pool, id, method } and request:end { pool, id, durationMs, error? }', async () => {
    const pool = rpc();
    const rec = record();
    try {
      await pool.call('echo', [1]);
      await pool.call('fail').catch(() => undefined);
      await pool.callBatch([{ method: 'echo' }]);
    } finally {
      rec.stop();
    }
    expect(rec.starts.map((s) => s.method)).toEqual(['echo', 'fail', 'batch']);
    expect(rec.starts.every((s) => s.pool === pool)).toBe(true);
    expect(rec.ends.map((e) => e.id)).toEqual(rec.starts.map((s) => s.id));
    expect(Object.keys(rec.ends[0]!).sort()).toEqual(['durationMs', 'id', 'pool']);
    expect(rec.ends[1]!.error).toMatchObject({ code: 'WSPOOL_ERR_REMOTE' });
  });

  it('a MultiplexPool publishes no method key', async () => {
    const pool = jar.add(
      new MultiplexPool<string, unknown>({
        url: server.url,
        codec: {
          encode: (method, id) => JSON.stringify({ jsonrpc: '2.0', id, method }),
          decode: (frame) => {
            const m = JSON.parse(String(frame)) as { id: number; result: unknown };
            return { id: m.id, ok: true, value: m.result };
          },
        },
      }),
    );
    const rec = record();
    try {
      await pool.request('echo');
    } finally {
      rec.stop();
    }
    expect(rec.starts).toHaveLength(1);
    expect(Object.keys(rec.starts[0]!).sort()).toEqual(['id', 'pool']);
  });
});
