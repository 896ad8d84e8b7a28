/**
 * Hand-written JSON-RPC batching over raw `ws`: the limit for `JsonRpcPool`'s `batch` option, as
 * one would write it without a library. Calls go round-robin over a fixed set of sockets; each
 * socket's calls of one turn are serialised together as one array frame (at most 100 per frame),
 * flushed on a microtask; the replies are matched by id through one `Map`. No deadlines, aborts,
 * reconnection or pacing.
 */
import type WebSocket from 'ws';
import type { RawData } from 'ws';

import type { Contender, RpcClient } from '../lib/contender.js';
import { settle, wireSockets, type Answer, type Pending } from '../lib/pending-calls.js';
import { closeSocket, openSocket } from '../lib/ws-link.js';

const MAX_BATCH = 100;

interface Call {
  jsonrpc: '2.0';
  id: number;
  method: string;
  params: unknown[];
}

class BatchingRpc implements RpcClient {
  readonly #sockets: readonly WebSocket[];
  /** Each socket's calls not sent yet. */
  #open: Call[][];
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #next = 0;
  #scheduled = false;
  readonly #flush = (): void => {
    this.#scheduled = false;
    for (let i = 0; i < this.#sockets.length; i++) {
      const calls = this.#open[i] as Call[];
      if (calls.length > 0) this.#send(i, calls);
    }
  };

  constructor(sockets: readonly WebSocket[]) {
    this.#sockets = sockets;
    this.#open = sockets.map(() => []);
    wireSockets(sockets, this.#pending, (data) => this.#onMessage(data));
  }

  call(method: string, params: unknown[]): Promise<unknown> {
    const id = ++this.#nextId;
    const index = this.#next;
    this.#next = (index + 1) % this.#sockets.length;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      const calls = this.#open[index] as Call[];
      calls.push({ jsonrpc: '2.0', id, method, params });
      if (calls.length >= MAX_BATCH) this.#send(index, calls);
      else if (!this.#scheduled) {
        this.#scheduled = true;
        queueMicrotask(this.#flush);
      }
    });
  }

  close(): Promise<void> {
    return Promise.all(this.#sockets.map((socket) => closeSocket(socket))).then(() => undefined);
  }

  #send(index: number, calls: Call[]): void {
    this.#open[index] = [];
    (this.#sockets[index] as WebSocket).send(JSON.stringify(calls));
  }

  #onMessage(data: RawData): void {
    const parsed = JSON.parse((data as Buffer).toString('utf8')) as Answer | Answer[];
    if (Array.isArray(parsed)) for (const answer of parsed) settle(this.#pending, answer);
    else settle(this.#pending, parsed);
  }
}

const contender: Contender = {
  name: 'raw ws, batch',
  async rpcClient({ url, connections }) {
    return new BatchingRpc(await Promise.all(Array.from({ length: connections }, () => openSocket(url))));
  },
};

export default contender;
