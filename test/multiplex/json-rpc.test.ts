// The JSON-RPC 2.0 codec on its own: frames in, frames out, no sockets.
import { describe, expect, it } from 'vitest';
import { WsPoolError } from '../../src/index.js';
import { BatchReply, JsonRpcBatch, JsonRpcCodec, type JsonRpcCall } from '../../src/multiplex/json-rpc.js';

const codec = () => new JsonRpcCodec();

describe('encode', () => {
  it('a call carries the correlation id; a notification (id undefined) carries none', () => {
    const c = codec();
    expect(JSON.parse(c.encode({ method: 'add', params: [1, 2] }, 7))).toEqual({
      jsonrpc: '2.0',
      id: 7,
      method: 'add',
      params: [1, 2],
    });
    expect(JSON.parse(c.encode({ method: 'log', params: { a: 1 } }, undefined))).toEqual({
      jsonrpc: '2.0',
      method: 'log',
      params: { a: 1 },
    });
    expect(JSON.parse(c.encode({ method: 'ping' }, 1))).toEqual({ jsonrpc: '2.0', id: 1, method: 'ping' });
  });

  it('rejects a method that is not a string and params that are not structured (§4.2)', () => {
    const c = codec();
    expect(() => c.encode({ method: 42 } as unknown as JsonRpcCall, 1)).toThrow(/`method`/);
    expect(() => c.encode({ method: 'm', params: 5 } as unknown as JsonRpcCall, 1)).toThrow(/`params`/);
    expect(() => c.encode({ method: 'm', params: null } as unknown as JsonRpcCall, 1)).toThrow(WsPoolError);
  });

  it('a value JSON cannot carry is WSPOOL_ERR_INVALID_JSON', () => {
    expect(() => codec().encode({ method: 'm', params: [1n] }, 1)).toThrow(
      expect.objectContaining({ code: 'WSPOOL_ERR_INVALID_JSON' }),
    );
  });

  it('the INVALID_JSON error carries the params that could not be serialised as error.data', () => {
    const params = [1n];
    let thrown: unknown;
    try {
      codec().encode({ method: 'm', params }, 1);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(WsPoolError);
    expect((thrown as WsPoolError).data).toBe(params);
  });

  it('a batch gives each call the id "<batch id>:<index>"', () => {
    const frame = codec().encode(
      new JsonRpcBatch([{ method: 'a' }, { method: 'b', params: [1] }]) as never,
      9,
    );
    expect(JSON.parse(frame)).toEqual([
      { jsonrpc: '2.0', id: '9:0', method: 'a' },
      { jsonrpc: '2.0', id: '9:1', method: 'b', params: [1] },
    ]);
  });
});

describe('decode', () => {
  it('a response with result is a success; with an error object, a failure', () => {
    const c = codec();
    expect(c.decode('{"jsonrpc":"2.0","id":3,"result":{"x":1}}')).toEqual({
      id: 3,
      ok: true,
      value: { x: 1 },
    });
    expect(c.decode('{"jsonrpc":"2.0","id":4,"result":null}')).toEqual({ id: 4, ok: true, value: null });
    const error = { code: -32000, message: 'no', data: [1] };
    expect(c.decode(JSON.stringify({ jsonrpc: '2.0', id: 5, error }))).toEqual({ id: 5, ok: false, error });
    // JSON-RPC 1.0 style `error: null` beside a result is a success.
    expect(c.decode('{"id":6,"result":1,"error":null}')).toEqual({ id: 6, ok: true, value: 1 });
  });

  it('binary frames are decoded as UTF-8 JSON', () => {
    expect(codec().decode(Buffer.from('{"jsonrpc":"2.0","id":1,"result":"é"}'))).toEqual({
      id: 1,
      ok: true,
      value: 'é',
    });
  });

  it('notifications, server requests, string ids and other JSON are pushes, handed over parsed', () => {
    const c = codec();
    for (const frame of [
      '{"jsonrpc":"2.0","method":"tick","params":[1]}',
      '{"jsonrpc":"2.0","id":1,"method":"serverAsks"}',
      '{"jsonrpc":"2.0","id":"abc","result":1}',
      '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}',
      '42',
      'null',
      '[1,2]',
    ]) {
      expect(c.decode(frame)).toBeUndefined();
      expect(c.takePush(frame)).toEqual(JSON.parse(frame));
    }
  });

  it('throws on a frame that is not JSON, or a response with neither result nor error', () => {
    expect(() => codec().decode('not json')).toThrow(SyntaxError);
    expect(() => codec().decode('{"jsonrpc":"2.0","id":1}')).toThrow(/neither result nor error/);
  });

  it('a batch response (any order, entries missing) maps onto the batch id and each call slot', () => {
    const reply = codec().decode(
      JSON.stringify([
        { jsonrpc: '2.0', id: '9:2', result: 'c' },
        { jsonrpc: '2.0', id: '9:0', error: { code: 1, message: 'bad' } },
      ]),
    );
    expect(reply).toMatchObject({ id: 9, ok: true });
    const entries = (reply as { value: BatchReply }).value.entries;
    expect(entries[0]).toEqual({ ok: false, error: { code: 1, message: 'bad' } });
    expect(entries[1]).toBeUndefined();
    expect(entries[2]).toEqual({ ok: true, value: 'c' });
  });
});
