// Fixtures of the several-endpoint suites: a cluster of real `ws` servers on 127.0.0.1, each behind
// its own TCP proxy (the fault switch: down, up, slow), answering both protocols with their name —
// a text frame gets the node's name back, a JSON-RPC call gets `result` = the name (`hang` is never
// answered) — and one `Subject` per pool kind, so every scenario runs against Pool and JsonRpcPool.
import timers from 'node:timers';
import { vi } from 'vitest';
import type WebSocket from 'ws';
import { JsonRpcPool, Pool, type EndpointStat, type PoolConfig } from '../../src/index.js';
import { realNow, turns } from '../helpers/async.js';

// Captured at load, before a test fakes the clock.
const realSetInterval = timers.setInterval;
const realClearInterval = timers.clearInterval;
import { startScriptedServer, startTcpProxy, type TcpProxy, type TestWsServer } from '../helpers/index.js';

export interface Node {
  readonly name: string;
  readonly url: string;
  readonly proxy: TcpProxy;
  /** Calls this node answered. */
  served: number;
  /** New connections are reset and live ones cut (RST): the server is gone. */
  down(): void;
  /** New connections go through again. */
  up(): void;
}

export interface Cluster {
  readonly nodes: readonly Node[];
  readonly urls: string[];
  /** Calls answered per node, in order. */
  served(): number[];
  close(): Promise<void>;
}

function answerer(node: { name: string; served: number }) {
  return (ws: WebSocket): void => {
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      if (!text.startsWith('{')) {
        node.served++;
        ws.send(node.name);
        return;
      }
      const req = JSON.parse(text) as { id?: number; method?: string };
      if (req.method === 'hang' || req.id === undefined) return;
      node.served++;
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: req.id, result: node.name }));
    });
  };
}

export async function startCluster(n: number): Promise<Cluster> {
  const servers: TestWsServer[] = [];
  const nodes: Node[] = [];
  for (let i = 0; i < n; i++) {
    const state = { name: `n${i}`, served: 0 };
    const server = await startScriptedServer(answerer(state));
    const proxy = await startTcpProxy(server.port);
    servers.push(server);
    nodes.push({
      name: state.name,
      url: proxy.url(),
      proxy,
      get served() {
        return state.served;
      },
      set served(v: number) {
        state.served = v;
      },
      down() {
        proxy.refuse(true);
        proxy.cutAll();
      },
      up() {
        proxy.refuse(false);
      },
    });
  }
  return {
    nodes,
    urls: nodes.map((node) => node.url),
    served: () => nodes.map((node) => node.served),
    async close() {
      await Promise.all(nodes.map((node) => node.proxy.close()));
      await Promise.all(servers.map((server) => server.close()));
    },
  };
}

/** One pool under test, whatever its kind: a call answers with the name of the node that served it. */
export interface Subject {
  readonly kind: 'Pool' | 'JsonRpcPool';
  call(timeout?: number): Promise<string>;
  endpoints(): readonly EndpointStat[];
  close(): Promise<void>;
}

type Shared = Omit<PoolConfig, 'beforeAcquire' | 'afterRelease' | 'acquireTimeout' | 'trackLeaks'>;

export const KINDS: readonly { kind: Subject['kind']; make: (config: Shared) => Subject }[] = [
  {
    kind: 'Pool',
    make: (config) => {
      const pool = new Pool(config);
      return {
        kind: 'Pool',
        call: (timeout = 5_000) =>
          pool.withConnection(
            async (conn) => {
              await conn.sendMessage('who');
              return conn.readMessage({ timeout });
            },
            { timeout },
          ),
        endpoints: () => pool.stat().endpoints ?? [],
        close: () => pool.close(),
      };
    },
  },
  {
    kind: 'JsonRpcPool',
    make: (config) => {
      const pool = new JsonRpcPool(config);
      return {
        kind: 'JsonRpcPool',
        call: (timeout = 5_000) => pool.call<string>('who', [], { timeout }),
        endpoints: () => pool.stat().endpoints ?? [],
        close: () => pool.close(),
      };
    },
  },
];

/** Under the fake clock: move it `ms` forward in `step`s, letting real loopback I/O land in between. */
export async function advance(ms: number, step = 100): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    vi.advanceTimersByTime(Math.min(step, ms - t));
    await turns(10);
  }
}

/** Run `calls` calls, `concurrency` at a time; the names that answered, and the errors. */
export async function load(
  subject: Subject,
  calls: number,
  concurrency: number,
): Promise<{ names: string[]; errors: unknown[] }> {
  const names: string[] = [];
  const errors: unknown[] = [];
  let left = calls;
  const worker = async (): Promise<void> => {
    while (left > 0) {
      left--;
      try {
        names.push(await subject.call());
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { names, errors };
}

/** How many of `names` each node answered. */
export function shares(names: readonly string[], n: number): number[] {
  const out = Array.from({ length: n }, () => 0);
  for (const name of names) out[Number(name.slice(1))]!++;
  return out;
}

/**
 * Under the fake clock: let it follow real time (so round trips measure what they take), while
 * {@link advance} can still jump it ahead. `stop()` before the test ends.
 */
export function pacedClock(): { stop(): void } {
  let last = realNow();
  const handle = realSetInterval(() => {
    const t = realNow();
    vi.advanceTimersByTime(t - last);
    last = t;
  }, 2);
  return { stop: () => realClearInterval(handle) };
}

/** Run calls, `concurrency` at a time, for `ms` of real time; the names that answered, and the errors. */
export async function loadFor(
  subject: Subject,
  ms: number,
  concurrency: number,
): Promise<{ names: string[]; errors: unknown[] }> {
  const names: string[] = [];
  const errors: unknown[] = [];
  const end = realNow() + ms;
  const worker = async (): Promise<void> => {
    while (realNow() < end) {
      try {
        names.push(await subject.call());
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { names, errors };
}
