/**
 * Raw `ws`, no pool: the limit each pool is measured against.
 *
 * - echo: one worker per socket, send then await the reply; nothing is shared, nothing queues.
 * - JSON-RPC: requests pipelined round-robin over a fixed set of sockets, replies matched to
 *   callers through one `Map` from id to pending promise.
 * - fill / memory: N sockets opened in parallel and held in an array.
 */
import type WebSocket from 'ws';
import type { RawData } from 'ws';

import type { Contender, EchoWorkers, RpcClient } from '../lib/contender.js';
import { closeSocket, openSocket, TextLink } from '../lib/ws-link.js';

function openAll(url: string, count: number): Promise<WebSocket[]> {
  return Promise.all(Array.from({ length: count }, () => openSocket(url)));
}

async function closeAll(sockets: readonly WebSocket[]): Promise<void> {
  await Promise.all(sockets.map((socket) => closeSocket(socket)));
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** JSON-RPC 2.0 over a few sockets with an id map, as one would write it by hand. */
class PipelinedRpc implements RpcClient {
  readonly #sockets: readonly WebSocket[];
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #next = 0;

  constructor(sockets: readonly WebSocket[]) {
    this.#sockets = sockets;
    const onMessage = (data: RawData): void => this.#onMessage(data);
    const onClose = (): void => this.#failAll(new Error('socket closed'));
    for (const socket of sockets) {
      socket.on('message', onMessage);
      socket.on('close', onClose);
    }
  }

  call(method: string, params: unknown[]): Promise<unknown> {
    const id = ++this.#nextId;
    const socket = this.#sockets[this.#next] as WebSocket;
    this.#next = (this.#next + 1) % this.#sockets.length;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  close(): Promise<void> {
    return closeAll(this.#sockets);
  }

  #onMessage(data: RawData): void {
    const reply = JSON.parse((data as Buffer).toString('utf8')) as {
      id: number;
      result?: unknown;
      error?: { message: string };
    };
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return;
    this.#pending.delete(reply.id);
    if (reply.error === undefined) pending.resolve(reply.result);
    else pending.reject(new Error(reply.error.message));
  }

  #failAll(error: Error): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}

const contender: Contender = {
  name: 'raw ws',

  async echoWorkers({ url, connections }): Promise<EchoWorkers> {
    const links = (await openAll(url, connections)).map((socket) => new TextLink(socket));
    return {
      workers: links.length,
      echo(worker, text) {
        const link = links[worker] as TextLink;
        link.sendMessage(text);
        return link.readMessage();
      },
      close: () => closeAll(links.map((link) => link.socket)),
    };
  },

  async rpcClient({ url, connections }) {
    return new PipelinedRpc(await openAll(url, connections));
  },

  async openConnections({ url, count }) {
    const sockets = await openAll(url, count);
    return { close: () => closeAll(sockets) };
  },
};

export default contender;
