/**
 * wspool's standalone `Connection` (no pool), in the raw limit's shape: one worker per
 * connection, so nothing is shared and nothing queues.
 *
 * - echo: each worker awaits `sendMessage()` and then `readMessage()`, as user code of the
 *   promise API would; raw `ws` sends without awaiting. Set beside raw `ws` it shows what the
 *   client costs without any pooling, so wspool Pool's distance from raw splits into "the client"
 *   and "the pool".
 * - fill / memory: N connections opened in parallel with `connect()` and held, as raw `ws` does
 *   with its sockets: what a standalone connection costs next to a bare socket.
 */
import { connect, type Connection } from '../lib/wspool.js';
import type { Contender } from '../lib/contender.js';

function openAll(url: string, count: number): Promise<Connection[]> {
  return Promise.all(Array.from({ length: count }, () => connect(url)));
}

async function closeAll(conns: readonly Connection[]): Promise<void> {
  await Promise.all(conns.map((conn) => conn.close()));
}

const contender: Contender = {
  name: 'wspool Connection',

  async echoWorkers({ url, connections }) {
    const conns = await openAll(url, connections);
    return {
      workers: conns.length,
      async echo(worker, text) {
        const conn = conns[worker] as Connection;
        await conn.sendMessage(text);
        const reply = await conn.readMessage();
        return reply;
      },
      close: () => closeAll(conns),
    };
  },

  async openConnections({ url, count }) {
    const conns = await openAll(url, count);
    return { close: () => closeAll(conns) };
  },
};

export default contender;
