// Interop with a server nobody here wrote: the `graphql-ws` server package (protocol
// graphql-transport-ws) over `graphql`, through a codec written here. The client names each
// subscription (fixed keys, sent like send(), live at once); `connection_init` runs in
// afterConnect; `next` is a notification, `complete` and `error` the server's end. Includes a
// server restart mid-subscription.
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MultiplexPool, type Codec, type Decoded, type GapInfo, type Message } from '../../src/index.js';
import { PoolJar, take, until, within, wsErrorOf } from './support.js';

// Both through require: graphql refuses a schema built by a second copy of itself (its ESM and
// CommonJS builds count as two), and graphql-ws's server loads it with require under vitest.
const require = createRequire(import.meta.url);
const { GraphQLInt, GraphQLNonNull, GraphQLObjectType, GraphQLSchema } =
  require('graphql') as typeof import('graphql');
const { useServer } = require('graphql-ws/use/ws') as typeof import('graphql-ws/use/ws');

type GqlRequest =
  | { type: 'subscribe'; id: string; payload: { query: string; variables?: Record<string, unknown> } }
  | { type: 'complete'; id: string };

/** graphql-transport-ws: every client message is JSON; the server's `next`/`complete`/`error` name the client's id. */
const gqlCodec: Codec<GqlRequest, never> = {
  encode: (req) => JSON.stringify(req),
  decode(frame: Message): Decoded<never> {
    const message = JSON.parse(typeof frame === 'string' ? frame : Buffer.from(frame).toString()) as {
      type: string;
      id?: string;
      payload?: unknown;
    };
    if (message.id === undefined) return undefined; // connection_ack, ping, pong
    if (message.type === 'next')
      return { subscription: message.id, value: (message.payload as { data: unknown }).data };
    if (message.type === 'complete') return { subscription: message.id, end: true };
    if (message.type === 'error') return { subscription: message.id, end: true, error: message.payload };
    return undefined;
  },
};

/** The ticks every `count` subscription waits on: `tick()` releases the next value to all of them. */
class Ticker {
  #waiters: (() => void)[] = [];
  tick(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
  next(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
  get waiting(): number {
    return this.#waiters.length;
  }
}

/** One ticker per `from` argument, so each test drives only its own subscriptions. */
const tickers = new Map<number, Ticker>();
function ticker(from: number): Ticker {
  let t = tickers.get(from);
  if (t === undefined) tickers.set(from, (t = new Ticker()));
  return t;
}
/** Operation ids the server completed on the client's request. */
const completed: string[] = [];

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { hello: { type: GraphQLInt, resolve: () => 1 } } }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      count: {
        type: GraphQLInt,
        args: { from: { type: new GraphQLNonNull(GraphQLInt) } },
        subscribe: async function* (_root: unknown, args: { from: number }) {
          for (let n = args.from; ; n++) {
            await ticker(args.from).next();
            yield { count: n };
          }
        },
      },
      two: {
        type: GraphQLInt,
        subscribe: async function* () {
          await Promise.resolve();
          yield { two: 1 };
          yield { two: 2 };
        },
      },
      boom: {
        type: GraphQLInt,
        subscribe: async function* () {
          await Promise.resolve();
          yield { boom: 1 };
          throw new Error('boom');
        },
      },
    },
  }),
});

/** A graphql-ws server on 127.0.0.1 that can be killed and restarted on the same port. */
class GraphQLServer {
  #http: http.Server | undefined;
  #wss: WebSocketServer | undefined;
  port = 0;
  inits = 0;

  get url(): string {
    return `ws://127.0.0.1:${this.port}/graphql`;
  }

  async start(): Promise<void> {
    const server = http.createServer();
    const wss = new WebSocketServer({ server, path: '/graphql' });
    useServer(
      {
        schema,
        onConnect: () => void this.inits++,
        onComplete: (_ctx, id) => void completed.push(id),
      },
      wss,
    );
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.#http = server;
    this.#wss = wss;
  }

  async stop(): Promise<void> {
    const [server, wss] = [this.#http, this.#wss];
    if (server === undefined || wss === undefined) return;
    this.#http = this.#wss = undefined;
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const gql = new GraphQLServer();
const jar = new PoolJar();
beforeAll(() => gql.start());
afterAll(async () => {
  await jar.closeAll();
  await gql.stop();
});

let nextId = 0;
function pool(): MultiplexPool<GqlRequest, never> {
  return jar.add(
    new MultiplexPool<GqlRequest, never>({
      url: gql.url,
      codec: gqlCodec,
      protocols: 'graphql-transport-ws',
      healthCheckPeriod: Infinity,
      afterConnect: async (conn) => {
        await conn.sendJSON({ type: 'connection_init' });
        const ack = await conn.readJSON<{ type: string }>({ timeout: 5_000 });
        if (ack.type !== 'connection_ack') throw new Error(`expected connection_ack, got ${ack.type}`);
      },
    }),
  );
}

function spec(query: string, variables?: Record<string, unknown>) {
  const id = `op-${++nextId}`;
  return {
    request: {
      type: 'subscribe',
      id,
      payload: variables === undefined ? { query } : { query, variables },
    } as GqlRequest,
    key: id,
    unsubscribe: (key: string | number): GqlRequest => ({ type: 'complete', id: String(key) }),
  };
}

describe('graphql-ws server', () => {
  it('subscribes with a client-chosen id (live at once) and yields each next payload', async () => {
    const p = pool();
    const sub = await p.subscribe<{ count: number }>(
      spec('subscription ($from: Int!) { count(from: $from) }', { from: 10 }),
    );
    expect(sub.key).toMatch(/^op-/);
    const ticks = ticker(10);
    await until(() => ticks.waiting === 1, 'the server-side subscription');
    ticks.tick();
    await until(() => ticks.waiting === 1, 'the next wait');
    ticks.tick();
    expect(await take(sub, 2)).toEqual([{ count: 10 }, { count: 11 }]);
    await until(() => ticks.waiting === 1, 'the next wait');
    await sub.unsubscribe(); // sends `complete`
    // The generator sits in an await; its return (and the server's onComplete) comes at a tick
    // after the server has read the `complete`.
    await until(() => {
      ticks.tick();
      return completed.includes(String(sub.key));
    }, 'the server completing the operation');
  });

  it("the server's complete ends the iteration; its error throws WSPOOL_ERR_REMOTE with the errors as data", async () => {
    const p = pool();
    const two = await p.subscribe<{ two: number }>(spec('subscription { two }'));
    const got: unknown[] = [];
    for await (const value of two) got.push(value);
    expect(got).toEqual([{ two: 1 }, { two: 2 }]);
    const boom = await p.subscribe<{ boom: number }>(spec('subscription { boom }'));
    expect(await take(boom, 1)).toEqual([{ boom: 1 }]);
    const error = await wsErrorOf(boom.next(), 'WSPOOL_ERR_REMOTE');
    expect(JSON.stringify(error.data)).toContain('boom');
    expect(p.stat()).toMatchObject({ subscriptions: 0, subscribers: 0 });
  });

  it('a server restart mid-subscription: re-subscribed under the same id after connection_init, onGap once', async () => {
    const p = pool();
    const gaps: GapInfo[] = [];
    const sub = await p.subscribe<{ count: number }>(
      spec('subscription ($from: Int!) { count(from: $from) }', { from: 100 }),
      { onGap: (gap) => void gaps.push(gap) },
    );
    const ticks = ticker(100);
    await until(() => ticks.waiting === 1, 'the server-side subscription');
    ticks.tick();
    expect(await take(sub, 1)).toEqual([{ count: 100 }]);
    await until(() => ticks.waiting === 1, 'the next wait');
    const inits = gql.inits;
    await gql.stop();
    await gql.start();
    // The old operation's generator still waits (its socket was cut); the new one joins it.
    await until(() => gql.inits === inits + 1 && ticks.waiting === 2, 'the re-subscribe on a new connection');
    ticks.tick();
    expect(await within(take(sub, 1), 5_000, 'the resumed stream')).toEqual([{ count: 100 }]); // the query starts over
    expect(gaps).toHaveLength(1);
    expect(sub.resubscribes).toBe(1);
    expect(p.stat().resubscribeCount).toBe(1);
  });
});
