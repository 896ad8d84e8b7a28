/**
 * Recipe: Ethereum `newHeads` that survive a node restart, with a backfilled gap.
 *
 * `rpc.subscribe('eth_subscribe', ['newHeads'])` returns one handle for the life of the stream.
 * When the node restarts, the pool re-subscribes on a new connection (new server key, same
 * handle) and, before the first head of the new subscription, awaits `onGap`: it fetches the
 * blocks missed meanwhile with `eth_getBlockByNumber`, and the loop sees them in place, in order.
 * Heads may repeat at the seam (the node re-sends its current head), so the loop skips what it has.
 *
 * Run: npx tsx examples/recipes/eth-new-heads.ts
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { JsonRpcPool } from '../../src/index.js';

interface Head {
  number: string; // hex, as nodes send it
  hash: string;
}

// ---- a stand-in Ethereum node: mines a block every 20 ms; can be restarted on its port ---------

let height = 0;
const head = (n: number): Head => ({ number: `0x${n.toString(16)}`, hash: `0xblock${n}` });

function startNode(port: number): Promise<WebSocketServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port });
  wss.on('connection', (ws: WebSocket) => {
    const subs = new Set<string>();
    let counter = 0;
    const miner = setInterval(() => {
      for (const id of subs) {
        ws.send(
          JSON.stringify({
            jsonrpc: '2.0',
            method: 'eth_subscription',
            params: { subscription: id, result: head(height) },
          }),
        );
      }
    }, 20);
    ws.on('close', () => clearInterval(miner));
    ws.on('message', (data: Buffer) => {
      const { id, method, params } = JSON.parse(data.toString()) as {
        id: number;
        method: string;
        params: unknown[];
      };
      const reply = (result: unknown): void => ws.send(JSON.stringify({ jsonrpc: '2.0', id, result }));
      if (method === 'eth_subscribe') {
        const key = `0x${port.toString(16)}${Date.now().toString(16)}${++counter}`;
        subs.add(key);
        reply(key);
      } else if (method === 'eth_unsubscribe') reply(subs.delete(String(params[0])));
      else if (method === 'eth_blockNumber') reply(head(height).number);
      else if (method === 'eth_getBlockByNumber') reply(head(Number(params[0])));
    });
  });
  return new Promise((resolve) => wss.once('listening', () => resolve(wss)));
}

async function stopNode(wss: WebSocketServer): Promise<void> {
  for (const client of wss.clients) client.terminate(); // a crash: no close frame
  await new Promise<void>((resolve) => wss.close(() => resolve()));
}

const chain = setInterval(() => height++, 20); // the chain advances whether anyone listens or not
let node = await startNode(0);
const port = (node.address() as AddressInfo).port;

// ---- the recipe ------------------------------------------------------------------------------

const pool = new JsonRpcPool({ url: `ws://127.0.0.1:${port}`, maxConns: 2 });
let last = -1; // the last block the loop has seen
let backfilled = 0;

const heads = await pool.subscribe<Head>('eth_subscribe', ['newHeads'], {
  // Awaited when the loop reaches the gap, before the first head of the new subscription.
  onGap: async ({ lostAt, resumedAt, attempts }) => {
    const tip = Number(await pool.call<string>('eth_blockNumber'));
    const missed = [];
    for (let n = last + 1; n <= tip; n++)
      missed.push(await pool.call<Head>('eth_getBlockByNumber', [`0x${n.toString(16)}`, false]));
    backfilled = missed.length;
    console.log(
      `resumed after ${resumedAt - lostAt} ms (${attempts} attempts): backfilling ${missed.length} blocks`,
    );
    return missed;
  },
});
const firstKey = heads.key;

let first = -1;
let inOrder = true;
let liveAfterGap = 0;
for await (const h of heads) {
  const n = Number(h.number);
  if (n <= last) continue; // a repeat at the seam
  if (last !== -1 && n !== last + 1) inOrder = false;
  if (first === -1) first = n;
  last = n;
  if (n === first + 5) {
    console.log(`at block ${n}: restarting the node`);
    await stopNode(node);
    await new Promise((resolve) => setTimeout(resolve, 200)); // down for a while: blocks go by
    node = await startNode(port);
  }
  if (heads.resubscribes > 0 && n > first + 5 + backfilled && ++liveAfterGap === 5) break; // enough for the demo
}

console.log(
  `same handle ${heads.id}, new server key: ${heads.key !== firstKey}, resubscribes: ${heads.resubscribes}`,
);
console.log(`blocks ${first}..${last} seen in order, none missing: ${inOrder}`);
clearInterval(chain);
await pool.close();
await stopNode(node);
