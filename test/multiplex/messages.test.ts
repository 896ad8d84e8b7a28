// What arrives besides replies: server pushes to onMessage (counted when nobody listens), frames
// the codec cannot decode (counted, never a crash), and custom codecs over text and binary frames.
import timers from 'node:timers';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { JsonRpcPool, MultiplexPool, type Codec, type Connection, type Message } from '../../src/index.js';
import { startScriptedServer, type TestWsServer } from '../helpers/index.js';
import { startRpcServer } from './json-rpc-server.js';
import { PoolJar, expectNothingPending, until, within, wsErrorOf, useSuiteServer } from './support.js';

const realSetTimeout = timers.setTimeout;
const jar = new PoolJar();
const server = useSuiteServer(() => startRpcServer(), jar);

describe('pushes', () => {
  it('a JsonRpcPool hands notifications to onMessage, parsed, in order with the replies', async () => {
    const seen: unknown[] = [];
    const pool = jar.add(new JsonRpcPool({ url: server.url, onMessage: (m) => seen.push(m) }));
    expect(await pool.call('push', ['tick', { n: 1 }])).toBe('pushed');
    // The notification was sent before the reply on the same socket: it is already delivered.
    expect(seen).toEqual([{ jsonrpc: '2.0', method: 'tick', params: { n: 1 } }]);
    server.broadcast('{"jsonrpc":"2.0","method":"news","params":["x"]}');
    server.broadcast('[1,2,3]');
    await until(() => seen.length === 3, 'the broadcasts');
    expect(seen.slice(1)).toEqual([{ jsonrpc: '2.0', method: 'news', params: ['x'] }, [1, 2, 3]]);
    expect(pool.stat()).toMatchObject({ unmatchedMessages: 0, protocolErrors: 0, lateReplies: 0 });
  });

  it('a notification sent right after the handshake reaches onMessage (after afterConnect, too), or is counted', async () => {
    const greeting = '{"jsonrpc":"2.0","method":"welcome","params":{"session":1}}';
    const greeter = await startScriptedServer((ws) => {
      ws.send(greeting);
      ws.on('message', (data: Buffer) => {
        const { id, params } = JSON.parse(data.toString()) as { id: number; params: unknown };
        ws.send(JSON.stringify({ jsonrpc: '2.0', id, result: params }));
      });
    });
    try {
      const seen: unknown[] = [];
      // afterConnect returns once the greeting is queued on the new connection: it must not be
      // dropped with an exclusive pool's stale messages.
      const waitForGreeting = async (conn: Connection): Promise<void> => {
        while (conn.pendingMessages === 0) await new Promise((resolve) => setImmediate(resolve));
      };
      const pool = jar.add(
        new JsonRpcPool({ url: greeter.url, afterConnect: waitForGreeting, onMessage: (m) => seen.push(m) }),
      );
      expect(await pool.call('echo', ['a'])).toEqual(['a']);
      await until(() => seen.length === 1, 'the greeting at onMessage');
      expect(seen).toEqual([JSON.parse(greeting)]);
      // Without onMessage (and without a hook): counted, not lost.
      const counting = jar.add(new JsonRpcPool({ url: greeter.url, afterConnect: waitForGreeting }));
      await counting.call('echo', []);
      await until(() => counting.stat().unmatchedMessages === 1, 'the greeting to be counted');
    } finally {
      await jar.closeAll();
      await greeter.close();
    }
  });

  it('without onMessage, pushes are counted in unmatchedMessages, never dropped silently', async () => {
    const pool = jar.add(new JsonRpcPool({ url: server.url }));
    await pool.call('push', ['tick']);
    server.broadcast('{"jsonrpc":"2.0","method":"news"}');
    await until(() => pool.stat().unmatchedMessages === 2, 'both pushes to be counted');
  });

  it('a frame the codec cannot decode counts as a protocol error; the connection and its calls carry on', async () => {
    const pool = jar.add(new JsonRpcPool({ url: server.url, onMessage: () => undefined }));
    const held = pool.call('hold');
    await until(() => server.held === 1, 'the call to reach the server');
    server.broadcast('this is not JSON');
    server.broadcast('{"jsonrpc":"2.0","id":1}'); // a response with neither result nor error
    await until(() => pool.stat().protocolErrors === 2, 'the protocol errors');
    server.releaseHeld();
    expect(await held).toBe('late');
    expect(await pool.call('echo', ['ok'])).toEqual(['ok']);
    expect(pool.stat().totalConns).toBe(1);
    expectNothingPending(pool);
  });
});

// ---- custom codecs ----------------------------------------------------------------------------

/** `<id> <verb> <text>` → `<id> ok <TEXT>` (verb `upper`) or `<id> err <text>`; `* <text>` is a push. */
const lineCodec: Codec<{ verb: string; text: string }, string> = {
  encode: ({ verb, text }, id) => `${id ?? '-'} ${verb} ${text}`,
  decode(frame) {
    if (typeof frame !== 'string') throw new Error('binary frame on a text protocol');
    if (frame.startsWith('* ')) return undefined;
    const [id, status, ...rest] = frame.split(' ');
    const text = rest.join(' ');
    return status === 'ok'
      ? { id: Number(id), ok: true, value: text }
      : { id: Number(id), ok: false, error: text };
  },
};

function startLineServer(): Promise<TestWsServer> {
  return startScriptedServer((ws) => {
    ws.on('message', (data: Buffer) => {
      const [id, verb, ...rest] = data.toString().split(' ');
      const text = rest.join(' ');
      if (id === '-') {
        ws.send(`* got ${text}`);
        return;
      }
      const reply = verb === 'upper' ? `${id} ok ${text.toUpperCase()}` : `${id} err cannot ${verb}`;
      realSetTimeout(() => ws.readyState === WebSocket.OPEN && ws.send(reply), Math.random() * 10);
    });
  });
}

/**
 * Binary frames: `[u32 id][payload]`; the reply is `[u32 id][u8 status][payload reversed]` (status 0
 * ok, 1 error); id 0 is a push.
 */
const binaryCodec: Codec<Uint8Array, Uint8Array> = {
  encode(payload, id) {
    const frame = new Uint8Array(4 + payload.byteLength);
    new DataView(frame.buffer).setUint32(0, id ?? 0);
    frame.set(payload, 4);
    return frame;
  },
  decode(frame) {
    if (typeof frame === 'string') throw new Error('text frame on a binary protocol');
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const id = view.getUint32(0);
    if (id === 0) return undefined;
    const body = frame.subarray(5);
    return view.getUint8(4) === 0
      ? { id, ok: true, value: body }
      : { id, ok: false, error: Buffer.from(body).toString() };
  },
};

function startBinaryServer(): Promise<TestWsServer> {
  return startScriptedServer((ws) => {
    ws.on('message', (data: Buffer) => {
      const id = data.readUInt32BE(0);
      const payload = Buffer.from(data.subarray(4));
      if (id === 0) return; // a send(): nothing to answer
      if (payload.toString() === 'poke') ws.send('a text frame'); // the binary codec throws on it
      const fail = payload.toString() === 'fail';
      const body = fail ? Buffer.from('no') : payload.reverse();
      const reply = Buffer.concat([data.subarray(0, 4), Buffer.from([fail ? 1 : 0]), body]);
      realSetTimeout(() => ws.readyState === WebSocket.OPEN && ws.send(reply), Math.random() * 10);
      if (id === 7) ws.send(Buffer.from([0, 0, 0, 0, 0, 42])); // a push
    });
  });
}

describe('custom codecs', () => {
  it('text frames: replies matched out of order, errors as WSPOOL_ERR_REMOTE, pushes raw to onMessage', async () => {
    const lines = await startLineServer();
    try {
      const pushes: Message[] = [];
      const pool = jar.add(
        new MultiplexPool({
          url: lines.url,
          codec: lineCodec,
          maxConns: 2,
          onMessage: (m) => pushes.push(m),
        }),
      );
      const words = Array.from({ length: 200 }, (_, i) => `word${i}`);
      const replies = await within(
        Promise.all(words.map((text) => pool.request({ verb: 'upper', text }))),
        5_000,
        'the requests',
      );
      expect(replies).toEqual(words.map((w) => w.toUpperCase()));
      const error = await wsErrorOf(pool.request({ verb: 'explode', text: 'x' }), 'WSPOOL_ERR_REMOTE');
      expect(error.data).toBe('cannot explode');
      await pool.send({ verb: 'note', text: 'hi' });
      await until(() => pushes.length === 1, 'the push');
      expect(pushes).toEqual(['* got hi']);
      expectNothingPending(pool);
    } finally {
      await lines.close();
    }
  });

  it('binary frames: Uint8Array in and out; a text frame the codec rejects is a protocol error', async () => {
    const binary = await startBinaryServer();
    try {
      const pushes: Message[] = [];
      const pool = jar.add(
        new MultiplexPool({ url: binary.url, codec: binaryCodec, onMessage: (m) => pushes.push(m) }),
      );
      const payloads = Array.from({ length: 100 }, (_, i) => Uint8Array.from([i, i + 1, i + 2]));
      const replies = await within(Promise.all(payloads.map((p) => pool.request(p))), 5_000, 'the requests');
      replies.forEach((reply, i) => {
        expect(reply).toBeInstanceOf(Uint8Array);
        expect([...reply]).toEqual([i + 2, i + 1, i]);
      });
      // Request ids run from 1, so the 7th triggered a push: a binary frame, handed over as bytes.
      await until(() => pushes.length === 1, 'the binary push');
      expect(pushes[0]).toBeInstanceOf(Uint8Array);
      expect([...(pushes[0] as Uint8Array)]).toEqual([0, 0, 0, 0, 0, 42]);
      const error = await wsErrorOf(pool.request(Buffer.from('fail')), 'WSPOOL_ERR_REMOTE');
      expect(error.data).toBe('no');
      await pool.send(new Uint8Array([1]));
      expect([...(await pool.request(Buffer.from('poke')))]).toEqual([...Buffer.from('ekop')]);
      await until(() => pool.stat().protocolErrors === 1, 'the text frame to count as a protocol error');
      expect(pushes).toHaveLength(1);
      expectNothingPending(pool);
    } finally {
      await binary.close();
    }
  });
});
