/**
 * Options of the multiplexed pools: the shared pool options (validated by the exclusive pool's
 * `resolvePoolConfig`, so both pools accept and reject the same values) plus the four that only
 * a multiplexed pool has.
 * @module
 */
import type { Message } from '../connection/inbox.js';
import { invalidConfig } from '../errors.js';
import { checkDuration, checkInteger, checkOptionalFunction } from '../util/validate.js';
import { resolvePoolConfig, type PoolConfig, type ResolvedPoolConfig } from '../ws-pool/config.js';
import type { Codec } from './codec.js';

/**
 * Options of the exclusive pool that only make sense for a checkout: a multiplexed pool never
 * lends a connection out, so there is nothing to acquire, release or leak.
 */
type AcquireOnly = 'beforeAcquire' | 'afterRelease' | 'acquireTimeout' | 'trackLeaks';
const ACQUIRE_ONLY: readonly AcquireOnly[] = [
  'beforeAcquire',
  'afterRelease',
  'acquireTimeout',
  'trackLeaks',
];

/**
 * The options a multiplexed pool shares with {@link PoolConfig}. Their meanings carry over, read
 * with "shared" for "borrowed": `maxConns` caps open + opening connections; `maxWaiting` bounds
 * the requests queued for room (those waiting for a first connection included); the background
 * check (every `healthCheckPeriod`) drains connections past `maxConnLifetime` (no new requests;
 * closed once their in-flight requests settle), closes those idle (nothing in flight) longer than
 * `maxConnIdleTime` while more than `minConns` are open, and pings those idle at least
 * `pingIdleAfter` (no pong within `pingTimeout`: the socket is cut).
 */
export type SharedPoolConfig = Omit<PoolConfig, AcquireOnly>;

/** Options of {@link MultiplexPool}: the shared pool options plus the protocol. */
export interface MultiplexPoolConfig<Req, Res> extends SharedPoolConfig {
  /** Encodes requests with their correlation id and recognises replies. Required. */
  codec: Codec<Req, Res>;
  /**
   * At most this many requests in flight per connection. When every open connection is full,
   * another is opened (up to `maxConns`); beyond that requests queue, first come first served.
   * @default 256
   */
  maxInFlightPerConn?: number;
  /**
   * Default `timeout` of `request()`, in ms counted from the call (time spent queued included),
   * then `WSPOOL_ERR_REQUEST_TIMEOUT`. `Infinity` disables it.
   * @default 30_000
   */
  requestTimeout?: number;
  /**
   * Receives inbound frames that are not replies (server pushes, notifications), as received:
   * text as `string`, binary as `Uint8Array`. Without it they are counted in
   * `stat().unmatchedMessages`. Called synchronously from the socket's message event: a throw is
   * reported as an uncaught exception, as from an event listener, and leaves the pool unharmed.
   */
  onMessage?: (message: Message) => void;
  /**
   * Server subscriptions per connection. A new one goes to the open connection carrying the
   * fewest; when every open one is full another is opened (up to `maxConns`); when `maxConns`
   * connections are open and all are full, `subscribe()` rejects `WSPOOL_ERR_POOL_EXHAUSTED` at once.
   * @default 100
   */
  maxSubscriptionsPerConn?: number;
  /**
   * Frames per second the pool sends on one connection — every request, `send()`, subscribe and
   * unsubscribe message, and every ping — as a token bucket that starts full with a burst of
   * `maxSendRate` frames; each token comes back one second after it was used. Frames beyond it
   * wait in order (their deadlines still apply). For servers that cut a connection that sends too
   * fast. `Infinity` turns it off.
   * @default Infinity
   */
  maxSendRate?: number;
}

/** The multiplexed options with defaults applied (internal). */
export interface ResolvedMultiplexConfig<Req, Res> {
  pool: ResolvedPoolConfig;
  codec: Codec<Req, Res>;
  maxInFlightPerConn: number;
  requestTimeout: number;
  onMessage: ((message: Message) => void) | undefined;
  maxSubscriptionsPerConn: number;
  maxSendRate: number;
}

/** Defaults of {@link MultiplexPoolConfig}. */
export const MULTIPLEX_DEFAULTS = {
  maxInFlightPerConn: 256,
  requestTimeout: 30_000,
  maxSubscriptionsPerConn: 100,
  maxSendRate: Infinity,
} as const;

const MULTIPLEX_KEYS: ReadonlySet<string> = new Set([
  'codec',
  'maxInFlightPerConn',
  'requestTimeout',
  'onMessage',
  'maxSubscriptionsPerConn',
  'maxSendRate',
]);

/**
 * Validate a multiplexed pool's config synchronously: `WSPOOL_ERR_INVALID_URL` for the URL,
 * `WSPOOL_ERR_INVALID_CONFIG` naming the field for everything else (unknown keys and the
 * exclusive pool's checkout options included).
 */
export function resolveMultiplexConfig<Req, Res>(
  config: MultiplexPoolConfig<Req, Res>,
): ResolvedMultiplexConfig<Req, Res> {
  if (typeof config === 'object' && config !== null) {
    for (const key of ACQUIRE_ONLY) {
      if (key in config) {
        throw invalidConfig(
          key,
          'no such option on a multiplexed pool (connections are shared, never checked out)',
          'a value',
        );
      }
    }
  }
  const pool = resolvePoolConfig(config, MULTIPLEX_KEYS);
  const codec = config.codec as unknown;
  if (
    typeof codec !== 'object' ||
    codec === null ||
    typeof (codec as Codec<Req, Res>).encode !== 'function' ||
    typeof (codec as Codec<Req, Res>).decode !== 'function'
  ) {
    throw invalidConfig('codec', 'an object with encode(req, id) and decode(frame) functions', codec);
  }
  return {
    pool,
    codec: codec as Codec<Req, Res>,
    maxInFlightPerConn:
      config.maxInFlightPerConn === undefined
        ? MULTIPLEX_DEFAULTS.maxInFlightPerConn
        : checkInteger('maxInFlightPerConn', config.maxInFlightPerConn, 1),
    requestTimeout:
      config.requestTimeout === undefined
        ? MULTIPLEX_DEFAULTS.requestTimeout
        : checkDuration('requestTimeout', config.requestTimeout, { allowInfinity: true }),
    onMessage: checkOptionalFunction('onMessage', config.onMessage),
    maxSubscriptionsPerConn:
      config.maxSubscriptionsPerConn === undefined
        ? MULTIPLEX_DEFAULTS.maxSubscriptionsPerConn
        : checkInteger('maxSubscriptionsPerConn', config.maxSubscriptionsPerConn, 1),
    maxSendRate:
      config.maxSendRate === undefined
        ? MULTIPLEX_DEFAULTS.maxSendRate
        : checkRate('maxSendRate', config.maxSendRate),
  };
}

/** Frames per second: a number > 0, or `Infinity`. */
function checkRate(field: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0))
    throw invalidConfig(field, 'a number of frames per second > 0 or Infinity', value);
  return value;
}

/** Options of `request()` and `call()`. */
export interface RequestOptions {
  /** Cancels the request; it rejects with `signal.reason` (a reply that comes later is dropped). */
  signal?: AbortSignal;
  /**
   * Ms from the call (time spent queued included), then `WSPOOL_ERR_REQUEST_TIMEOUT`.
   * `Infinity` waits for ever. @default config.requestTimeout
   */
  timeout?: number;
}
