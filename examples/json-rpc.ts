/**
 * The multiplexed pools: many requests in flight on each shared connection, replies matched by id.
 * `JsonRpcPool` speaks JSON-RPC 2.0 (`call`, `notify`, `callBatch`, server notifications);
 * `MultiplexPool<Req, Res>` takes a `Codec` for any other request/response protocol.
 *
 * Run: npx tsx examples/json-rpc.ts
 */
import { JsonRpcPool, MultiplexPool, isWsPoolError, type Codec } from '../src/index.js';
import { startLocalServer } from './local-server.js';

interface RpcRequest {
  jsonrpc: '2.0';
  id?: number | string;
  method: string;
  params?: unknown;
}

/** The server side of a tiny JSON-RPC API (single calls and batches). */
function answer(req: RpcRequest): object | undefined {
  if (req.id === undefined) return undefined; // a notification: no response
  const params = (req.params ?? []) as unknown[];
  switch (req.method) {
    case 'getQuote':
      return { jsonrpc: '2.0', id: req.id, result: { symbol: params[0], price: 42.5 } };
    case 'subscribe':
      return { jsonrpc: '2.0', id: req.id, result: true };
    case 'add':
      return { jsonrpc: '2.0', id: req.id, result: (params[0] as number) + (params[1] as number) };
    default:
      return { jsonrpc: '2.0', id: req.id, error: { code: -32601, message: `no method ${req.method}` } };
  }
}

async function main(): Promise<void> {
  const server = await startLocalServer((socket) => {
    socket.on('message', (data: Buffer) => {
      const text = data.toString();
      // The line protocol of the MultiplexPool part below: "<id> upper <text>" → "<id> ok <TEXT>".
      const line = /^(\d+) upper (.*)$/s.exec(text);
      if (line) return socket.send(`${line[1]} ok ${line[2]!.toUpperCase()}`);
      const parsed = JSON.parse(text) as RpcRequest | RpcRequest[];
      if (Array.isArray(parsed)) return socket.send(JSON.stringify(parsed.map(answer).filter(Boolean)));
      if (parsed.method === 'subscribe') {
        // A server notification (no id): it goes to onMessage.
        socket.send(JSON.stringify({ jsonrpc: '2.0', method: 'tick', params: { price: 43 } }));
      }
      const response = answer(parsed);
      if (response) socket.send(JSON.stringify(response));
    });
  });

  // ---- JsonRpcPool --------------------------------------------------------------------------------
  const notifications: unknown[] = [];
  const rpc = new JsonRpcPool({
    url: server.url,
    maxConns: 2,
    maxInFlightPerConn: 64,
    requestTimeout: 5_000,
    onMessage: (message) => notifications.push(message),
  });

  const quote = await rpc.call<{ symbol: string; price: number }>('getQuote', ['WSP']);
  console.log(`getQuote WSP -> ${JSON.stringify(quote)}`);

  // 100 calls at once share the two connections; each reply finds its caller by id.
  const sums = await Promise.all(Array.from({ length: 100 }, (_, i) => rpc.call<number>('add', [i, 1])));
  const matched = sums.every((sum, i) => sum === i + 1);
  console.log(
    `100 concurrent calls on ${rpc.stat().totalConns} connections: ${matched ? 'all matched' : 'MISMATCH'}`,
  );

  try {
    await rpc.call('transfer', { amount: 10 });
  } catch (error) {
    if (!isWsPoolError(error, 'WSPOOL_ERR_REMOTE')) throw error;
    console.log(`transfer -> ${error.code} ${JSON.stringify(error.data)}`); // the JSON-RPC error object
  }

  await rpc.notify('log', { level: 'info' }); // no id, no response
  const batch = await rpc.callBatch([
    { method: 'add', params: [1, 2] },
    { method: 'getQuote', params: ['ABC'] },
    { method: 'nope' },
  ]);
  console.log(
    `batch: ${batch.length} results: ${batch.map((r) => (r instanceof Error ? 'error' : JSON.stringify(r))).join(', ')}`,
  );

  await rpc.call('subscribe', ['ticks']);
  console.log(`notification: ${JSON.stringify(notifications[0])}`);
  const stat = rpc.stat();
  console.log(`stat: requests=${stat.requestCount} inFlight=${stat.inFlight} connections=${stat.totalConns}`);
  await rpc.close();

  // ---- MultiplexPool<Req, Res> with your own codec ------------------------------------------------
  const lines: Codec<string, string> = {
    encode: (text, id) => `${id ?? 0} upper ${text}`,
    decode(frame) {
      const match = typeof frame === 'string' ? /^(\d+) (ok|err) (.*)$/s.exec(frame) : null;
      if (!match) return undefined; // not a reply
      const id = Number(match[1]);
      return match[2] === 'ok' ? { id, ok: true, value: match[3]! } : { id, ok: false, error: match[3] };
    },
  };
  const upper = new MultiplexPool({ url: server.url, maxConns: 1, codec: lines });
  const shouted = await Promise.all(['a', 'b', 'c'].map((text) => upper.request(text)));
  console.log(`MultiplexPool<string, string>: ${shouted.join(' ')}`);
  await upper.close();
  await server.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
