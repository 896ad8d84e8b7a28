// Compile-time tests of the public types. `expectTypeOf` does nothing at run time: these assertions
// are checked by `tsc` (npm run typecheck includes test/), and a wrong type fails the type check.
// `@ts-expect-error` lines must error, or tsc reports them as unused.

import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  Connection,
  JsonRpcPool,
  MultiplexPool,
  Pool,
  PooledConnection,
  WsPoolError,
  connect,
  createPool,
  type AcquireOptions,
  type BatchOptions,
  type Codec,
  type EndpointStat,
  type Message,
  type MultiplexPoolConfig,
  type PoolConfig,
  type PoolStat,
  type SubscribeOptions,
  type Subscription,
  type GapInfo,
  type WsPoolErrorCode,
} from '../../src/index.js';
import { instrumentPool, type PoolInstrumentation } from '../../src/otel/index.js';

/**
 * Hosts compile-time checks that need values of a type (`conn.readJSON<T>()`): `tsc` checks the
 * body; it is never run, since the values are only declared.
 */
function typeOnly(_body: () => void): void {}

interface Quote {
  symbol: string;
  price: number;
}
interface QuoteRequest {
  op: 'quote';
  symbol: string;
}

describe('generics', () => {
  it('readJSON<T>() resolves T (unknown by default), on a Connection and a PooledConnection', () =>
    typeOnly(() => {
      const conn = {} as Connection;
      const pooled = {} as PooledConnection;
      expectTypeOf(conn.readJSON<Quote>()).toEqualTypeOf<Promise<Quote>>();
      expectTypeOf(pooled.readJSON<Quote>({ timeout: 1 })).toEqualTypeOf<Promise<Quote>>();
      expectTypeOf(conn.readJSON()).toEqualTypeOf<Promise<unknown>>();
      expectTypeOf(conn.read()).toEqualTypeOf<Promise<Message>>();
      expectTypeOf<Message>().toEqualTypeOf<string | Uint8Array>();
      expectTypeOf(conn.readMessage()).toEqualTypeOf<Promise<string>>();
      expectTypeOf(conn.readBinary()).toEqualTypeOf<Promise<Uint8Array>>();
    }));

  it('withConnection<T> returns what the callback returns', () =>
    typeOnly(() => {
      const pool = {} as Pool;
      expectTypeOf(pool.withConnection(async (c) => c.readJSON<Quote>())).toEqualTypeOf<Promise<Quote>>();
      expectTypeOf<Pool['withConnection']>().parameter(0).parameter(0).toEqualTypeOf<PooledConnection>();
    }));

  it('exchange() resolves a Message and exchangeJSON<T>() T, on Connection, PooledConnection and Pool; release takes an error', () =>
    typeOnly(() => {
      const conn = {} as Connection;
      const pooled = {} as PooledConnection;
      const pool = {} as Pool;
      expectTypeOf(conn.exchange('q')).toEqualTypeOf<Promise<Message>>();
      expectTypeOf(conn.exchangeJSON<Quote>({ op: 'quote' })).toEqualTypeOf<Promise<Quote>>();
      expectTypeOf(pooled.exchange(new Uint8Array(1), { timeout: 1 })).toEqualTypeOf<Promise<Message>>();
      expectTypeOf(pooled.exchangeJSON({})).toEqualTypeOf<Promise<unknown>>();
      expectTypeOf(pool.exchange('q', { timeout: 1 })).toEqualTypeOf<Promise<Message>>();
      expectTypeOf(pool.exchangeJSON<Quote>({})).toEqualTypeOf<Promise<Quote>>();
      expectTypeOf<Parameters<PooledConnection['release']>[0]>().toEqualTypeOf<unknown>();
      expectTypeOf(pool.stat().errorReleaseCount).toEqualTypeOf<number>();
    }));

  it('MultiplexPool<Req, Res> is inferred from its codec; request(req) takes Req and returns Promise<Res>', () =>
    typeOnly(() => {
      const codec: Codec<QuoteRequest, Quote> = {
        encode: (req, id) => JSON.stringify({ id, ...req }),
        decode: () => undefined,
      };
      const pool = new MultiplexPool({ url: 'ws://127.0.0.1:1', codec });
      expectTypeOf(pool).toEqualTypeOf<MultiplexPool<QuoteRequest, Quote>>();
      expectTypeOf<MultiplexPool<QuoteRequest, Quote>['request']>()
        .parameter(0)
        .toEqualTypeOf<QuoteRequest>();
      expectTypeOf(pool.request({ op: 'quote', symbol: 'X' })).toEqualTypeOf<Promise<Quote>>();
      expectTypeOf(pool.request({ op: 'quote', symbol: 'X' }, { timeout: 1 })).toEqualTypeOf<
        Promise<Quote>
      >();
      expectTypeOf(pool.send({ op: 'quote', symbol: 'X' })).toEqualTypeOf<Promise<void>>();
      // @ts-expect-error not a QuoteRequest
      void pool.request({ op: 'trade' });
      expectTypeOf<MultiplexPool<QuoteRequest, Quote>>().toExtend<AsyncDisposable>();
      // The codec must agree with the pool's type parameters.
      const config: MultiplexPoolConfig<QuoteRequest, Quote> = { url: 'ws://127.0.0.1:1', codec };
      // @ts-expect-error a codec of other types
      const wrong: MultiplexPoolConfig<QuoteRequest, string> = { url: 'ws://127.0.0.1:1', codec };
      void [config, wrong];
    }));

  it('JsonRpcPool.call<T>() resolves T (unknown by default); it is a MultiplexPool', () =>
    typeOnly(() => {
      const rpc = new JsonRpcPool({ url: 'ws://127.0.0.1:1' });
      expectTypeOf(rpc.call<Quote>('getQuote', ['X'])).toEqualTypeOf<Promise<Quote>>();
      expectTypeOf(rpc.call('getQuote', { symbol: 'X' })).toEqualTypeOf<Promise<unknown>>();
      expectTypeOf(rpc.notify('ping')).toEqualTypeOf<Promise<void>>();
      expectTypeOf(rpc.callBatch([{ method: 'a' }, { method: 'b', params: [1] }])).toEqualTypeOf<
        Promise<unknown[]>
      >();
      expectTypeOf(rpc).toExtend<AsyncDisposable>();
      expectTypeOf<JsonRpcPool>().toExtend<MultiplexPool<never, unknown>>();
      // @ts-expect-error JsonRpcPool has its codec built in
      new JsonRpcPool({ url: 'ws://127.0.0.1:1', codec: {} });
    }));

  it('JsonRpcPoolConfig.batch takes a boolean or BatchOptions', () =>
    typeOnly(() => {
      new JsonRpcPool({ url: 'ws://127.0.0.1:1', batch: true });
      const options: BatchOptions = { maxSize: 50, wait: 2 };
      new JsonRpcPool({ url: 'ws://127.0.0.1:1', batch: options });
      // @ts-expect-error maxSize is a number
      new JsonRpcPool({ url: 'ws://127.0.0.1:1', batch: { maxSize: '50' } });
    }));
});

describe('AsyncDisposable', () => {
  it('Connection, Pool and PooledConnection support `await using`', () => {
    expectTypeOf<Connection>().toExtend<AsyncDisposable>();
    expectTypeOf<Pool>().toExtend<AsyncDisposable>();
    expectTypeOf<PooledConnection>().toExtend<AsyncDisposable>();
    expectTypeOf<PooledConnection[typeof Symbol.asyncDispose]>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf(connect).returns.toEqualTypeOf<Promise<Connection>>();
    expectTypeOf(createPool).returns.toEqualTypeOf<Promise<Pool>>();
    // And at run time the protocol methods exist on the prototypes.
    expect(typeof Connection.prototype[Symbol.asyncDispose]).toBe('function');
    expect(typeof Pool.prototype[Symbol.asyncDispose]).toBe('function');
    expect(typeof PooledConnection.prototype[Symbol.asyncDispose]).toBe('function');
  });

  it('the otel handle is Disposable (`using`)', () => {
    expectTypeOf(instrumentPool).returns.toEqualTypeOf<PoolInstrumentation>();
    expectTypeOf<PoolInstrumentation>().toExtend<Disposable>();
    expectTypeOf(instrumentPool).parameter(0).toExtend<object>();
    expectTypeOf<Pool>().toExtend<Parameters<typeof instrumentPool>[0]>();
    expectTypeOf<MultiplexPool<QuoteRequest, Quote>>().toExtend<Parameters<typeof instrumentPool>[0]>();
    expectTypeOf<JsonRpcPool>().toExtend<Parameters<typeof instrumentPool>[0]>();
  });
});

describe('PoolConfig', () => {
  it('rejects unknown keys and wrong types at compile time', () => {
    const ok: PoolConfig = { url: 'ws://127.0.0.1:1', minConns: 1, maxConns: 2, trackLeaks: true };
    // Optional in the type: exactly one of `url` and `endpoints` is checked when the pool is built.
    expectTypeOf(ok.url).toEqualTypeOf<string | URL | undefined>();
    const several: PoolConfig = {
      endpoints: ['ws://127.0.0.1:1', new URL('ws://127.0.0.1:2'), { url: 'ws://127.0.0.1:3', weight: 3 }],
      balance: 'priority',
      failbackAfter: 1_000,
      ejectAfterFailures: 3,
      ejectionTime: 1_000,
      maxEjectionTime: 10_000,
    };
    // @ts-expect-error balance is 'least-loaded' or 'priority'
    const badBalance: PoolConfig = { endpoints: ['ws://127.0.0.1:1'], balance: 'random' };
    // @ts-expect-error maxConn is a typo of maxConns
    const typo: PoolConfig = { url: 'ws://127.0.0.1:1', maxConn: 2 };
    // @ts-expect-error a duration is a number of ms
    const wrongType: PoolConfig = { url: 'ws://127.0.0.1:1', acquireTimeout: '5s' };
    // @ts-expect-error signal belongs to acquire(), not to the pool
    const withSignal: PoolConfig = { url: 'ws://127.0.0.1:1', signal: AbortSignal.timeout(1) };
    void [typo, several, badBalance, wrongType, withSignal];
    // Construction sites check excess keys too (a runtime check throws WSPOOL_ERR_INVALID_CONFIG as well).
    expect(
      () =>
        // @ts-expect-error unknown option
        new Pool({ url: 'ws://127.0.0.1:1', nope: true }),
    ).toThrow(WsPoolError);
  });

  it('hooks receive typed arguments', () => {
    expectTypeOf<NonNullable<PoolConfig['beforeConnect']>>().parameter(0).toEqualTypeOf<{
      url: URL;
      headers: Record<string, string>;
    }>();
    expectTypeOf<NonNullable<PoolConfig['afterConnect']>>().parameter(0).toEqualTypeOf<Connection>();
    expectTypeOf<AcquireOptions>().toEqualTypeOf<{ signal?: AbortSignal; timeout?: number }>();
  });
});

describe('stat() and errors', () => {
  it('stat() is a readonly snapshot of numbers', () => {
    const stat = {} as PoolStat;
    expectTypeOf(stat.totalConns).toEqualTypeOf<number>();
    // @ts-expect-error readonly
    stat.totalConns = 1;
    expectTypeOf<PoolStat[Exclude<keyof PoolStat, 'endpoints'>]>().toEqualTypeOf<number>();
    expectTypeOf(stat.endpoints).toEqualTypeOf<readonly EndpointStat[] | undefined>();
  });

  it('WsPoolError.code is the union of the documented codes', () => {
    expectTypeOf<WsPoolError['code']>().toEqualTypeOf<WsPoolErrorCode>();
    expectTypeOf<'WSPOOL_ERR_ACQUIRE_TIMEOUT'>().toExtend<WsPoolErrorCode>();
    expectTypeOf<'WSPOOL_ERR_NOPE'>().not.toExtend<WsPoolErrorCode>();
  });
});

describe('subscriptions', () => {
  it('subscribe<T>() resolves a Subscription<T>: AsyncIterable<T> and AsyncDisposable, with id, key, resubscribes', () => {
    typeOnly(() => {
      const rpc = {} as JsonRpcPool;
      expectTypeOf(rpc.subscribe<{ number: string }>('eth_subscribe', ['newHeads'])).resolves.toEqualTypeOf<
        Subscription<{ number: string }>
      >();
      const sub = {} as Subscription<number>;
      expectTypeOf(sub).toExtend<AsyncIterable<number>>();
      expectTypeOf(sub).toExtend<AsyncDisposable>();
      expectTypeOf(sub.id).toEqualTypeOf<number>();
      expectTypeOf(sub.key).toEqualTypeOf<string | number | undefined>();
      expectTypeOf(sub.resubscribes).toEqualTypeOf<number>();
      expectTypeOf(sub.unsubscribe()).toEqualTypeOf<Promise<void>>();
      const mux = {} as MultiplexPool<{ op: string }, { id: string }>;
      // The key function reads the pool's reply type.
      void mux.subscribe<number>({
        request: { op: 'sub' },
        key: (reply) => reply.id,
        unsubscribe: (key) => ({ op: `unsub ${key}` }),
      });
      // @ts-expect-error a request of the wrong type
      void mux.subscribe({ request: 42, key: 'fixed' });
    });
    expectTypeOf<NonNullable<SubscribeOptions<number>['onGap']>>().parameter(0).toEqualTypeOf<GapInfo>();
    expectTypeOf<SubscribeOptions['overflow']>().toEqualTypeOf<'error' | 'drop-oldest' | undefined>();
  });
});
