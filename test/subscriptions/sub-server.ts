// A JSON-RPC 2.0 server with Ethereum-shaped subscriptions, on 127.0.0.1:0, that can be killed and
// restarted on the same port. Keys are counted per connection (`0x1`, `0x2`, … on every socket, as
// Solana nodes do), so routing must be per connection.
//
// | method | answer |
// |---|---|
// | `eth_subscribe [topic]` | a new key; notifications `{ method: 'eth_subscription', params: { subscription, result } }` follow `publish(topic, …)` |
// | `eth_unsubscribe [key]` | `true` (`false` for an unknown key) |
// | `echo` | params |
//
// Knobs: `refuse` (topics answered with an error), `holdSubscribes` (confirmations held until
// `releaseSubscribes()`), `frames` (arrival times of every frame and ping, per socket).
import WebSocket from 'ws';
import { startRestartableScriptedServer, type RestartableWsServer } from '../helpers/index.js';

const realNow = performance.now.bind(performance);

export interface SubServer extends RestartableWsServer {
  /** Send `value` to every live subscription of `topic`; returns how many got it. */
  publish(topic: string, value: unknown): number;
  /** Live subscriptions, over every socket. */
  readonly live: number;
  /** Subscribe calls received (confirmed or not). */
  readonly subscribes: number;
  /** Unsubscribe calls received. */
  readonly unsubscribes: number;
  /** Topics whose subscribe is answered with an error. */
  readonly refuse: Set<string>;
  /** While true, subscribe calls are not answered until {@link releaseSubscribes}. */
  holdSubscribes: boolean;
  /** Answer the held subscribe calls; returns how many. */
  releaseSubscribes(): number;
  /** Arrival times (ms, monotonic) of every frame and ping, one list per socket ever accepted. */
  readonly frames: number[][];
  /** The open sockets. */
  readonly sockets: WebSocket[];
  /** Live subscriptions per open socket, in accept order. */
  perSocket(): number[];
  /** Kill the server (clients see 1006) and start it again on the same port; keys start a new series. */
  restart(): Promise<void>;
}

interface Live {
  ws: WebSocket;
  key: string;
  topic: string;
}

export async function startSubServer(): Promise<SubServer> {
  const live = new Map<WebSocket, Map<string, Live>>();
  const held: (() => void)[] = [];
  const frames: number[][] = [];
  const refuse = new Set<string>();
  let subscribes = 0;
  let unsubscribes = 0;
  let holdSubscribes = false;
  let epoch = 0; // keys of a restarted server never repeat the old ones

  function reply(ws: WebSocket, body: object): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ jsonrpc: '2.0', ...body }));
  }

  const server = await startRestartableScriptedServer((ws) => {
    const mine = new Map<string, Live>();
    live.set(ws, mine);
    const times: number[] = [];
    frames.push(times);
    let counter = 0;
    ws.on('ping', () => times.push(realNow()));
    ws.on('close', () => live.delete(ws));
    ws.on('message', (data) => {
      times.push(realNow());
      const req = JSON.parse((data as Buffer).toString()) as {
        id?: number;
        method: string;
        params?: unknown[];
      };
      const params = req.params ?? [];
      switch (req.method) {
        case 'eth_subscribe': {
          subscribes++;
          const topic = String(params[0]);
          const answer = (): void => {
            if (refuse.has(topic)) {
              reply(ws, { id: req.id, error: { code: -32602, message: `refused ${topic}` } });
              return;
            }
            const key = `0x${(epoch * 0x100000 + ++counter).toString(16)}`;
            mine.set(key, { ws, key, topic });
            reply(ws, { id: req.id, result: key });
          };
          if (holdSubscribes) held.push(answer);
          else answer();
          break;
        }
        case 'eth_unsubscribe': {
          unsubscribes++;
          reply(ws, { id: req.id, result: mine.delete(String(params[0])) });
          break;
        }
        default:
          reply(ws, { id: req.id, result: req.params ?? null });
      }
    });
  });

  const extra = {
    publish(topic: string, value: unknown): number {
      let n = 0;
      for (const mine of live.values()) {
        for (const sub of mine.values()) {
          if (sub.topic !== topic || sub.ws.readyState !== WebSocket.OPEN) continue;
          sub.ws.send(
            JSON.stringify({
              jsonrpc: '2.0',
              method: 'eth_subscription',
              params: { subscription: sub.key, result: value },
            }),
          );
          n++;
        }
      }
      return n;
    },
    get live() {
      let n = 0;
      for (const mine of live.values()) n += mine.size;
      return n;
    },
    get subscribes() {
      return subscribes;
    },
    get unsubscribes() {
      return unsubscribes;
    },
    refuse,
    get holdSubscribes() {
      return holdSubscribes;
    },
    set holdSubscribes(on: boolean) {
      holdSubscribes = on;
    },
    releaseSubscribes(): number {
      const all = held.splice(0);
      for (const answer of all) answer();
      return all.length;
    },
    frames,
    get sockets() {
      return [...live.keys()];
    },
    async restart(): Promise<void> {
      await server.stop();
      epoch++;
      await server.start();
    },
    perSocket(): number[] {
      return [...live.values()].map((mine) => mine.size);
    },
  };
  // defineProperties, not Object.assign: the getters must stay getters.
  return Object.defineProperties(server, Object.getOwnPropertyDescriptors(extra)) as SubServer;
}
