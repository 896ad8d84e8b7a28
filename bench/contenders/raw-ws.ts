/**
 * Raw `ws`, no pool: the limit each pool is measured against.
 *
 * - echo: one worker per socket, send then await the reply; nothing is shared, nothing queues.
 * - JSON-RPC: requests pipelined round-robin over a fixed set of sockets, replies matched to
 *   callers through one `Map` from id to pending promise.
 * - notification fan-in: subscriptions placed round-robin over a few sockets; one handler per
 *   socket parses each push, finds its subscription in a `Map` by key and hands the value to the
 *   consumer waiting for it (or queues it).
 * - fill / memory: N sockets opened in parallel and held in an array.
 */
import type WebSocket from 'ws';
import type { RawData } from 'ws';

import type { Contender, EchoWorkers, RpcClient, SubscriptionClient } from '../lib/contender.js';
import { settle, wireSockets, type Answer, type Pending } from '../lib/pending-calls.js';
import { closeSocket, openSocket, TextLink } from '../lib/ws-link.js';

function openAll(url: string, count: number): Promise<WebSocket[]> {
  return Promise.all(Array.from({ length: count }, () => openSocket(url)));
}

async function closeAll(sockets: readonly WebSocket[]): Promise<void> {
  await Promise.all(sockets.map((socket) => closeSocket(socket)));
}

/** JSON-RPC 2.0 over a few sockets with an id map, as one would write it by hand. */
class PipelinedRpc implements RpcClient {
  readonly #sockets: readonly WebSocket[];
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #next = 0;

  constructor(sockets: readonly WebSocket[]) {
    this.#sockets = sockets;
    wireSockets(sockets, this.#pending, (data) => this.#onMessage(data));
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
    settle(this.#pending, JSON.parse((data as Buffer).toString('utf8')) as Answer);
  }
}

/** One subscription's consumer side: values not read yet, or the consumer waiting for one. */
class Inbox {
  readonly values: unknown[] = [];
  head = 0;
  waiter: ((result: IteratorResult<unknown>) => void) | undefined;
}

/** Subscriptions over a few sockets, routed by key through one `Map` per socket, as written by hand. */
class RawSubscriptions implements SubscriptionClient {
  readonly #sockets: readonly WebSocket[];
  readonly #inboxes: Inbox[] = [];
  readonly #placement: { socket: WebSocket; key: string }[] = [];

  private constructor(sockets: readonly WebSocket[]) {
    this.#sockets = sockets;
  }

  static async open(url: string, connections: number, subscriptions: number): Promise<RawSubscriptions> {
    const client = new RawSubscriptions(await openAll(url, connections));
    await client.#subscribe(subscriptions);
    return client;
  }

  get subscriptions(): number {
    return this.#inboxes.length;
  }

  next(index: number): Promise<IteratorResult<unknown>> {
    const inbox = this.#inboxes[index] as Inbox;
    if (inbox.head < inbox.values.length) {
      const value = inbox.values[inbox.head++];
      if (inbox.head === inbox.values.length) {
        inbox.values.length = 0;
        inbox.head = 0;
      }
      return Promise.resolve({ done: false, value });
    }
    return new Promise((resolve) => (inbox.waiter = resolve));
  }

  poke(index: number, count: number): void {
    const { socket, key } = this.#placement[index] as { socket: WebSocket; key: string };
    socket.send(JSON.stringify({ jsonrpc: '2.0', method: 'bench_poke', params: [key, count] }));
  }

  close(): Promise<void> {
    return closeAll(this.#sockets);
  }

  /** Subscribe round-robin; each socket then routes its pushes through its own key map. */
  async #subscribe(count: number): Promise<void> {
    const routes = this.#sockets.map(() => new Map<string, Inbox>());
    const pending = new Map<number, (key: string) => void>();
    this.#sockets.forEach((socket, s) => {
      const byKey = routes[s] as Map<string, Inbox>;
      socket.on('message', (data: RawData) => {
        const message = JSON.parse((data as Buffer).toString('utf8')) as {
          id?: number;
          result?: unknown;
          params?: { subscription: string; result: unknown };
        };
        if (message.params !== undefined) {
          const inbox = byKey.get(message.params.subscription);
          if (inbox === undefined) return;
          const waiter = inbox.waiter;
          if (waiter !== undefined) {
            inbox.waiter = undefined;
            waiter({ done: false, value: message.params.result });
          } else inbox.values.push(message.params.result);
        } else if (message.id !== undefined) pending.get(message.id)?.(message.result as string);
      });
    });
    await Promise.all(
      Array.from({ length: count }, (_, i) => {
        const s = i % this.#sockets.length;
        const socket = this.#sockets[s] as WebSocket;
        const inbox = new Inbox();
        this.#inboxes[i] = inbox;
        return new Promise<void>((resolve) => {
          pending.set(i + 1, (key) => {
            pending.delete(i + 1);
            (routes[s] as Map<string, Inbox>).set(key, inbox);
            this.#placement[i] = { socket, key };
            resolve();
          });
          socket.send(JSON.stringify({ jsonrpc: '2.0', id: i + 1, method: 'bench_subscribe', params: [i] }));
        });
      }),
    );
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

  subscriptionClient: ({ url, connections, subscriptions }) =>
    RawSubscriptions.open(url, connections, subscriptions),

  async openConnections({ url, count }) {
    const sockets = await openAll(url, count);
    return { close: () => closeAll(sockets) };
  },
};

export default contender;
