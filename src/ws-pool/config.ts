import { availableParallelism } from 'node:os';
import type { Connection } from '../connection/connection.js';
import {
  CONNECT_OPTION_KEYS,
  resolveConnectOptions,
  type ConnectOptions,
  type ResolvedConnectOptions,
} from '../connection/options.js';
import {
  ENDPOINT_OPTION_KEYS,
  resolveEndpoints,
  type EndpointOptions,
  type ResolvedEndpoints,
} from '../endpoints/config.js';
import { invalidConfig } from '../errors.js';
import { checkDuration, checkInteger, checkKnownKeys, checkOptionalFunction } from '../util/validate.js';
import type { OnError } from './on-error.js';

/**
 * What `beforeConnect` may change before each dial (e.g. refresh an auth token). Both fields may be
 * mutated or replaced; the dial uses what they hold when the hook settles. A fresh copy per dial.
 */
export interface BeforeConnectContext {
  /** The URL about to be dialled: mutate it (a query token, a path) or assign a new `URL`. */
  url: URL;
  /** Handshake headers about to be sent: mutate them, or assign a new object. */
  headers: Record<string, string>;
}

/** Options of {@link Pool} / {@link createPool}: {@link ConnectOptions} per connection plus these. */
export interface PoolConfig extends Omit<ConnectOptions, 'signal'>, EndpointOptions {
  /**
   * `ws:` or `wss:` URL. Credentials in it never appear in errors, `url` fields or diagnostics.
   * Exactly one of `url` and `endpoints` is given.
   */
  url?: string | URL;
  /**
   * Connections kept open (idle or not) by the background check.
   * @default 0
   */
  minConns?: number;
  /**
   * Hard cap on open + opening connections.
   * @default max(4, os.availableParallelism())
   */
  maxConns?: number;
  /**
   * A connection older than this (+ its jitter) is closed when idle or released.
   * @default 3_600_000 (1 h)
   */
  maxConnLifetime?: number;
  /**
   * Random extra lifetime per connection, fixed at creation, so connections opened together do not
   * all expire together.
   * @default 0
   */
  maxConnLifetimeJitter?: number;
  /**
   * Idle longer than this → closed by the background check, while more than `minConns` are open.
   * @default 1_800_000 (30 min)
   */
  maxConnIdleTime?: number;
  /**
   * Period of the background check: evict expired/idle, ping idle connections (keeps proxies and
   * NATs from cutting them), top up to `minConns`. `Infinity` disables it.
   * @default 60_000
   */
  healthCheckPeriod?: number;
  /**
   * Pong deadline for keepalive, health and acquire pings (passed to every connection).
   * @default 5_000
   */
  pingTimeout?: number;
  /**
   * On acquire, a connection idle at least this long is pinged first; `0` always, `Infinity` never.
   * Idle time runs from its last release or ping or, if never borrowed, from when it opened: a
   * connection filled by `minConns` is pinged like any other. Only a connection dialled for this very
   * acquire skips the ping (its handshake just proved it alive). A connection that gives no pong,
   * within `pingTimeout` or before the acquire's deadline, is destroyed and the next one tried.
   * @default 1_000
   */
  pingIdleAfter?: number;
  /**
   * Default `timeout` of `acquire()`.
   * @default Infinity
   */
  acquireTimeout?: number;
  /**
   * Acquires queued beyond this reject at once with `WSPOOL_ERR_POOL_EXHAUSTED`.
   * @default Infinity
   */
  maxWaiting?: number;
  /**
   * Runs before each dial with `{ url, headers }`, which it may mutate or replace (refresh a token).
   * A throw fails that dial. Bounded by `close()` and, for a dial an acquire started, by that
   * acquire's timeout and signal: the dial is then abandoned.
   */
  beforeConnect?: (ctx: BeforeConnectContext) => void | Promise<void>;
  /**
   * Runs on each new connection (auth, subscribe). A throw discards it and fails the dial. Bounded
   * like `beforeConnect`: when `close()`, or the timeout or abort of the acquire the dial runs for,
   * comes first, the connection is destroyed (the hook's pending reads reject).
   */
  afterConnect?: (conn: Connection) => void | Promise<void>;
  /**
   * Runs on every hand-out, fresh dials included. `false` → the connection is destroyed and another
   * tried; after `maxConns + 1` rejections in one acquire it rejects `WSPOOL_ERR_ACQUIRE_FAILED`.
   * Bounded by the acquire's timeout and signal and by `close()`: the first to fire rejects the
   * acquire at once and destroys the connection.
   */
  beforeAcquire?: (conn: Connection) => boolean | void | Promise<boolean | void>;
  /**
   * Runs on release; `false` → the connection is destroyed instead of pooled. Its slot stays taken
   * while it runs; `close()` destroys the connection at once instead of waiting for it.
   */
  afterRelease?: (conn: Connection) => boolean | void | Promise<boolean | void>;
  /**
   * Runs before a pooled connection is closed (the socket is still open). Awaited for at most
   * `closeTimeout` ms (and no longer than `close({ timeout })` allows), then the close goes ahead; a
   * throw goes to `onError` (phase `'close'`).
   */
  beforeClose?: (conn: Connection) => void | Promise<void>;
  /**
   * Track borrowed connections and where each was acquired (a stack trace), so `pool.leaks()` can
   * say who holds connections too long. Costs a stack capture per acquire: meant for debugging.
   * @default false
   */
  trackLeaks?: boolean;
  /**
   * Receives every error that no caller sees — failed background dials (refill to `minConns`,
   * re-subscribes), health-check failures, hook throws during close, endpoint ejections — as a
   * `WsPoolError` with `info: { phase, url }` (URL redacted). Never called for an error that
   * rejects a caller's promise; a throw inside it is ignored.
   */
  onError?: OnError;
}

/** Defaults of {@link PoolConfig}. */
export const POOL_DEFAULTS = {
  minConns: 0,
  maxConnLifetime: 3_600_000,
  maxConnLifetimeJitter: 0,
  maxConnIdleTime: 1_800_000,
  healthCheckPeriod: 60_000,
  pingTimeout: 5_000,
  pingIdleAfter: 1_000,
  acquireTimeout: Infinity,
  maxWaiting: Infinity,
} as const;

/** Default `maxConns`: `max(4, os.availableParallelism())`. */
export function defaultMaxConns(): number {
  return Math.max(4, availableParallelism());
}

/** The pool's own option names (beside the connect options). */
export const POOL_OPTION_KEYS: ReadonlySet<string> = new Set([
  'url',
  ...ENDPOINT_OPTION_KEYS,
  'minConns',
  'maxConns',
  'maxConnLifetime',
  'maxConnLifetimeJitter',
  'maxConnIdleTime',
  'healthCheckPeriod',
  'pingTimeout',
  'pingIdleAfter',
  'acquireTimeout',
  'maxWaiting',
  'beforeConnect',
  'afterConnect',
  'beforeAcquire',
  'afterRelease',
  'beforeClose',
  'trackLeaks',
  'onError',
]);

/** A pool config with every default applied (internal). */
export interface ResolvedPoolConfig {
  /** The single `url`, or the first endpoint's (what `pool.url` reports). */
  url: URL;
  /** Set only with `endpoints`: a single-`url` pool takes none of their paths. */
  endpoints: ResolvedEndpoints | undefined;
  connect: ResolvedConnectOptions;
  minConns: number;
  maxConns: number;
  maxConnLifetime: number;
  maxConnLifetimeJitter: number;
  maxConnIdleTime: number;
  healthCheckPeriod: number;
  pingTimeout: number;
  pingIdleAfter: number;
  acquireTimeout: number;
  maxWaiting: number;
  beforeConnect: PoolConfig['beforeConnect'];
  afterConnect: PoolConfig['afterConnect'];
  beforeAcquire: PoolConfig['beforeAcquire'];
  afterRelease: PoolConfig['afterRelease'];
  beforeClose: PoolConfig['beforeClose'];
  trackLeaks: boolean;
  onError: OnError | undefined;
}

/**
 * Validate a pool config synchronously. Throws `WSPOOL_ERR_INVALID_URL` for the URL and
 * `WSPOOL_ERR_INVALID_CONFIG` naming the field and its accepted range for everything else,
 * including unknown keys. `extraKeys` admits a wider pool's options (the multiplexed pool).
 */
export function resolvePoolConfig(config: PoolConfig, extraKeys?: ReadonlySet<string>): ResolvedPoolConfig {
  if (typeof config !== 'object' || config === null) throw invalidConfig('config', 'an object', config);
  if ('signal' in config) throw invalidConfig('signal', 'no signal (pass one to acquire())', 'a signal');
  const known = new Set([...CONNECT_OPTION_KEYS, ...POOL_OPTION_KEYS, ...(extraKeys ?? [])]);
  known.delete('signal');
  // Checked here first so a typo is reported as not being one of the *pool* options (the connect
  // check below would list the same names under the word "connect").
  checkKnownKeys(extraKeys === undefined ? 'pool' : 'multiplexed pool', config, known);
  const connect = resolveConnectOptions(config, known);
  const { url, endpoints } = resolveEndpoints(config);
  const c = config;
  const minConns =
    c.minConns === undefined ? POOL_DEFAULTS.minConns : checkInteger('minConns', c.minConns, 0);
  const maxConns = c.maxConns === undefined ? defaultMaxConns() : checkInteger('maxConns', c.maxConns, 1);
  if (minConns > maxConns) {
    throw invalidConfig('minConns', `an integer from 0 to maxConns (${maxConns})`, minConns);
  }
  const duration = (
    field: keyof typeof POOL_DEFAULTS,
    value: unknown,
    allowZero: boolean,
    allowInfinity: boolean,
  ) =>
    value === undefined ? POOL_DEFAULTS[field] : checkDuration(field, value, { allowZero, allowInfinity });
  if (c.trackLeaks !== undefined && typeof c.trackLeaks !== 'boolean') {
    throw invalidConfig('trackLeaks', 'a boolean', c.trackLeaks);
  }
  return {
    url,
    endpoints,
    connect,
    minConns,
    maxConns,
    maxConnLifetime: duration('maxConnLifetime', c.maxConnLifetime, false, true),
    maxConnLifetimeJitter: duration('maxConnLifetimeJitter', c.maxConnLifetimeJitter, true, false),
    maxConnIdleTime: duration('maxConnIdleTime', c.maxConnIdleTime, false, true),
    healthCheckPeriod: duration('healthCheckPeriod', c.healthCheckPeriod, false, true),
    pingTimeout: connect.pingTimeout, // validated with the connect options: one value for every ping
    pingIdleAfter: duration('pingIdleAfter', c.pingIdleAfter, true, true),
    acquireTimeout: duration('acquireTimeout', c.acquireTimeout, true, true),
    maxWaiting:
      c.maxWaiting === undefined
        ? POOL_DEFAULTS.maxWaiting
        : checkInteger('maxWaiting', c.maxWaiting, 0, { allowInfinity: true }),
    beforeConnect: checkOptionalFunction('beforeConnect', c.beforeConnect),
    afterConnect: checkOptionalFunction('afterConnect', c.afterConnect),
    beforeAcquire: checkOptionalFunction('beforeAcquire', c.beforeAcquire),
    afterRelease: checkOptionalFunction('afterRelease', c.afterRelease),
    beforeClose: checkOptionalFunction('beforeClose', c.beforeClose),
    trackLeaks: c.trackLeaks ?? false,
    onError: checkOptionalFunction('onError', c.onError),
  };
}
