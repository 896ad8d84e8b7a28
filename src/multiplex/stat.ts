import type { EndpointStat } from '../endpoints/endpoint-set.js';

/**
 * A frozen snapshot returned by `MultiplexPool.stat()`. Gauges describe the pool now; counters only
 * grow. Always `totalConns <= maxConns`; connections already closing no longer count.
 */
export interface MultiplexPoolStat {
  /** Gauge: open connections (draining ones included) plus dials in progress. */
  readonly totalConns: number;
  /** Gauge: dials in progress. */
  readonly constructingConns: number;
  /** The configured `maxConns`. */
  readonly maxConns: number;
  /** Counter: connections opened. */
  readonly newConnsCount: number;
  /** Counter: dials that failed. */
  readonly failedConnectCount: number;
  /** Counter: connections drained and closed for exceeding `maxConnLifetime`. */
  readonly maxLifetimeDestroyCount: number;
  /** Counter: connections closed for exceeding `maxConnIdleTime`. */
  readonly maxIdleDestroyCount: number;
  /** Counter: connections closed because a background ping failed. */
  readonly healthCheckDestroyCount: number;
  /** Gauge: requests sent and not settled. */
  readonly inFlight: number;
  /** Gauge: requests (and `send()`s) waiting for room on a connection. */
  readonly queuedRequests: number;
  /** Counter: requests sent. */
  readonly requestCount: number;
  /** Counter: requests rejected with `WSPOOL_ERR_REQUEST_TIMEOUT`. */
  readonly timedOutRequests: number;
  /** Counter: replies that matched no pending request (it timed out or was aborted): dropped. */
  readonly lateReplies: number;
  /** Counter: frames that were not replies, dropped because no `onMessage` handler is set. */
  readonly unmatchedMessages: number;
  /** Counter: frames the codec's `decode` threw on, dropped. */
  readonly protocolErrors: number;
  /** Gauge: server subscriptions (subscribers of identical requests share one). */
  readonly subscriptions: number;
  /** Gauge: subscribers (`Subscription` handles not ended). */
  readonly subscribers: number;
  /** Counter: subscriptions re-established after a connection loss (rotations excluded). */
  readonly resubscribeCount: number;
  /** Counter: notifications dropped by subscribers with `overflow: 'drop-oldest'`. */
  readonly droppedNotifications: number;
  /** Counter: notifications whose key matched no subscription (they go to `onMessage`). */
  readonly unroutedNotifications: number;
  /** Per endpoint, in config order (pools with `endpoints`; absent with a single `url`). */
  readonly endpoints?: readonly EndpointStat[];
}
