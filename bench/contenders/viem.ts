/**
 * viem's `webSocket` transport, as a user calls a custom JSON-RPC method through it:
 * `createClient({ transport: webSocket(url) }).request({ method, params })`, and subscribes with
 * `transport.value.subscribe()` (`eth_subscribe`). One socket (viem keeps one per URL); no
 * retries (`retryCount: 0`), so a failure shows instead of being retried.
 */
import { createClient, webSocket } from 'viem';

import type { Contender, RpcClient, SubscriptionClient } from '../lib/contender.js';
import { closeSocket, openSocket } from '../lib/ws-link.js';

/** One subscription's notifications not read yet, or the reader waiting for one. */
class Queue {
  #values: unknown[] = [];
  #head = 0;
  #waiter: ((result: IteratorResult<unknown>) => void) | undefined;

  push(value: unknown): void {
    const waiter = this.#waiter;
    if (waiter === undefined) {
      this.#values.push(value);
      return;
    }
    this.#waiter = undefined;
    waiter({ done: false, value });
  }

  next(): Promise<IteratorResult<unknown>> {
    if (this.#head < this.#values.length) {
      const value = this.#values[this.#head++];
      if (this.#head === this.#values.length) {
        this.#values = [];
        this.#head = 0;
      }
      return Promise.resolve({ done: false, value });
    }
    return new Promise((resolve) => (this.#waiter = resolve));
  }
}

/** The client's `request` with this bench's methods (viem types it by the chain's RPC schema). */
type Request = (args: { method: string; params: unknown[] }) => Promise<unknown>;

const contender: Contender = {
  name: 'viem webSocket',

  async rpcClient({ url }): Promise<RpcClient> {
    const transport = webSocket(url, { retryCount: 0, keepAlive: false, reconnect: false });
    const client = createClient({ transport });
    const request = client.request as unknown as Request;
    await request({ method: 'echo', params: [] }); // the socket is open before the clock starts
    return {
      call: (method, params) => request({ method, params }),
      async close() {
        const socket = await transport({}).value?.getRpcClient();
        socket?.close();
      },
    };
  },

  /**
   * viem's subscription path: `transport.value.subscribe({ params, onData })` on the same
   * `webSocket` transport (one socket: viem keeps one per URL, whatever `connections` asks). Each
   * subscription's `onData` feeds a small queue that `next()` reads, as a `for await` adapter over
   * viem's callbacks would. Pokes go over a raw `ws` socket of their own (viem can't send a
   * JSON-RPC notification): the server pushes on the socket that owns the subscription.
   */
  async subscriptionClient({ url, subscriptions }): Promise<SubscriptionClient> {
    const transport = webSocket(url, { retryCount: 0, keepAlive: false, reconnect: false });
    const value = transport({}).value;
    if (value === undefined) throw new Error('the viem webSocket transport has no subscribe()');
    const queues = Array.from({ length: subscriptions }, () => new Queue());
    const handles = await Promise.all(
      queues.map((queue, i) =>
        value.subscribe({
          params: ['bench', i] as unknown as ['newHeads'],
          onData: (data: { result?: unknown }) => queue.push(data.result),
        }),
      ),
    );
    const keys = handles.map((handle) => (handle as { subscriptionId?: unknown }).subscriptionId);
    const poker = await openSocket(url);
    return {
      subscriptions,
      next: (index) => (queues[index] as Queue).next(),
      poke: (index, count) =>
        poker.send(JSON.stringify({ jsonrpc: '2.0', method: 'bench_poke', params: [keys[index], count] })),
      async close() {
        await closeSocket(poker);
        const socket = await value.getRpcClient();
        socket.close();
      },
    };
  },
};

export default contender;
