/**
 * Every `node:diagnostics_channel` channel wspool publishes, created once here. Publishers check
 * `hasSubscribers` first, so observability costs nothing when nobody listens. Payloads never
 * carry URL credentials or query values (`url` fields are redacted).
 *
 * | channel | payload |
 * |---|---|
 * | `wspool:connection:open` | `{ url, protocol, connectMs }` |
 * | `wspool:connection:close` | `{ url, code, reason, wasClean, durationMs }` |
 * | `wspool:connection:error` | `{ url, error }` (a `WsPoolError`) |
 * | `wspool:pool:acquire` | `{ pool, waitMs }` |
 * | `wspool:pool:release` | `{ pool, holdMs }` |
 * | `wspool:pool:destroy` | `{ pool, reason }`, reason ∈ `idle`, `lifetime`, `ping`, `hook`, `closed`, `released`, `error`, `ejected` |
 * | `wspool:pool:health-check` | `{ pool, checked, destroyed, created }` |
 * | `wspool:request:start` | `{ pool, id, method? }` |
 * | `wspool:request:end` | `{ pool, id, durationMs, error? }` |
 * | `wspool:subscription:resubscribe` | `{ pool, key, previousKey, attempts, gapMs }` |
 * | `wspool:subscription:end` | `{ pool, id, key }` |
 * | `wspool:endpoint:eject` | `{ pool, url, ejections, ejectedUntil, error }` |
 * | `wspool:endpoint:readmit` | `{ pool, url, latencyMs }` |
 *
 * @example
 * ```ts
 * import diagnostics_channel from 'node:diagnostics_channel';
 * diagnostics_channel.subscribe('wspool:pool:acquire', (m) => histogram.record(m.waitMs));
 * ```
 * @module
 */
import diagnosticsChannel from 'node:diagnostics_channel';

/** Why a pooled connection was destroyed. */
export type DestroyReason =
  'idle' | 'lifetime' | 'ping' | 'hook' | 'closed' | 'released' | 'error' | 'ejected';

/** Payload of `wspool:connection:open`. */
export interface ConnectionOpenMessage {
  /** The URL dialled, credentials and query values redacted. */
  url: string;
  /** The subprotocol the server selected (`''` when none). */
  protocol: string;
  /** Ms from the dial to the open handshake (TCP + TLS + upgrade). */
  connectMs: number;
}
/** Payload of `wspool:connection:close`. */
export interface ConnectionCloseMessage {
  /** The redacted URL. */
  url: string;
  /** Close code (1006 when the socket dropped without a close frame). */
  code: number;
  /** Close reason sent by the peer or by us. */
  reason: string;
  /** True when the closing handshake completed. */
  wasClean: boolean;
  /** Ms the connection was open. */
  durationMs: number;
}
/** Payload of `wspool:connection:error`. */
export interface ConnectionErrorMessage {
  /** The redacted URL. */
  url: string;
  /** What went wrong: a dial failure, or a socket error of an open connection (a `WsPoolError`). */
  error: Error;
}
/** Payload of `wspool:pool:acquire`. */
export interface PoolAcquireMessage {
  /** The pool that lent the connection (compare by identity to tell pools apart). */
  pool: object;
  /** Ms from the `acquire()` call to the hand-out. */
  waitMs: number;
}
/** Payload of `wspool:pool:release`. */
export interface PoolReleaseMessage {
  /** The pool the connection returns to. */
  pool: object;
  /** Ms the borrower held the connection. */
  holdMs: number;
}
/** Payload of `wspool:pool:destroy`. */
export interface PoolDestroyMessage {
  /** The pool that closed the connection. */
  pool: object;
  /** Why it was closed. */
  reason: DestroyReason;
}
/** Payload of `wspool:pool:health-check`. */
export interface PoolHealthCheckMessage {
  /** The pool checked. */
  pool: object;
  /** Idle connections examined in this pass. */
  checked: number;
  /** Connections closed by this pass (idle, expired, failed ping, already closed). */
  destroyed: number;
  /** Connections opened by this pass to top up to `minConns`. */
  created: number;
}
/** Payload of `wspool:request:start`. */
export interface RequestStartMessage {
  /** The multiplexed pool sending the request. */
  pool: object;
  /** The request's correlation id (unique per pool). */
  id: number;
  /** The JSON-RPC method, for `JsonRpcPool`. */
  method?: string;
}
/** Payload of `wspool:request:end`. */
export interface RequestEndMessage {
  /** The multiplexed pool that sent the request. */
  pool: object;
  /** The request's correlation id, as in `wspool:request:start`. */
  id: number;
  /** Ms from the call to the reply, the error or the timeout. */
  durationMs: number;
  /** Set when the request failed (a `WsPoolError`: remote error, timeout, closed connection). */
  error?: Error;
}
/** Payload of `wspool:endpoint:eject`. */
export interface EndpointEjectMessage {
  /** The pool that ejected the endpoint. */
  pool: object;
  /** The endpoint's redacted URL. */
  url: string;
  /** Its ejection count, this one included (less the decay earned while healthy). */
  ejections: number;
  /** Epoch ms at which one probe decides whether it comes back. */
  ejectedUntil: number;
  /** The failure that ejected it. */
  error: unknown;
}
/** Payload of `wspool:endpoint:readmit`. */
export interface EndpointReadmitMessage {
  /** The pool that re-admitted the endpoint. */
  pool: object;
  /** The endpoint's redacted URL. */
  url: string;
  /** The probe's round trip in ms. */
  latencyMs: number;
}

/** Payload of `wspool:subscription:resubscribe`: a subscription was re-established after a loss. */
export interface SubscriptionResubscribeMessage {
  /** The multiplexed pool. */
  pool: object;
  /** The new server key. */
  key: string | number | undefined;
  /** The key it had before the loss. */
  previousKey: string | number | undefined;
  /** Re-subscribe attempts, the successful one included. */
  attempts: number;
  /** Ms from the loss to the confirmation. */
  gapMs: number;
}
/** Payload of `wspool:subscription:end`: a subscriber left (unsubscribed, ended, or the pool closed). */
export interface SubscriptionEndMessage {
  /** The multiplexed pool. */
  pool: object;
  /** The subscriber's `Subscription.id`. */
  id: number;
  /** The server key it had last. */
  key: string | number | undefined;
}

/**
 * Channel names, for subscribers.
 *
 * @example
 * ```ts
 * import diagnostics_channel from 'node:diagnostics_channel';
 * import { CHANNELS, type ConnectionCloseMessage } from 'wspool';
 *
 * diagnostics_channel.subscribe(CHANNELS.connectionClose, (message) => {
 *   const { url, code, durationMs } = message as ConnectionCloseMessage;
 *   console.log(`${url} closed with ${code} after ${durationMs} ms`);
 * });
 * ```
 */
export const CHANNELS = {
  /** `wspool:connection:open`, payload {@link ConnectionOpenMessage}. */
  connectionOpen: 'wspool:connection:open',
  /** `wspool:connection:close`, payload {@link ConnectionCloseMessage}. */
  connectionClose: 'wspool:connection:close',
  /** `wspool:connection:error`, payload {@link ConnectionErrorMessage}. */
  connectionError: 'wspool:connection:error',
  /** `wspool:pool:acquire`, payload {@link PoolAcquireMessage}. */
  poolAcquire: 'wspool:pool:acquire',
  /** `wspool:pool:release`, payload {@link PoolReleaseMessage}. */
  poolRelease: 'wspool:pool:release',
  /** `wspool:pool:destroy`, payload {@link PoolDestroyMessage}. */
  poolDestroy: 'wspool:pool:destroy',
  /** `wspool:pool:health-check`, payload {@link PoolHealthCheckMessage}. */
  poolHealthCheck: 'wspool:pool:health-check',
  /** `wspool:request:start`, payload {@link RequestStartMessage}. */
  requestStart: 'wspool:request:start',
  /** `wspool:request:end`, payload {@link RequestEndMessage}. */
  requestEnd: 'wspool:request:end',
  /** `wspool:subscription:resubscribe`, payload {@link SubscriptionResubscribeMessage}. */
  subscriptionResubscribe: 'wspool:subscription:resubscribe',
  /** `wspool:subscription:end`, payload {@link SubscriptionEndMessage}. */
  subscriptionEnd: 'wspool:subscription:end',
  /** `wspool:endpoint:eject`, payload {@link EndpointEjectMessage}. */
  endpointEject: 'wspool:endpoint:eject',
  /** `wspool:endpoint:readmit`, payload {@link EndpointReadmitMessage}. */
  endpointReadmit: 'wspool:endpoint:readmit',
} as const;

/**
 * The channel objects; internal code publishes through these after a `hasSubscribers` check.
 * @internal
 */
export const channels = {
  connectionOpen: diagnosticsChannel.channel(CHANNELS.connectionOpen),
  connectionClose: diagnosticsChannel.channel(CHANNELS.connectionClose),
  connectionError: diagnosticsChannel.channel(CHANNELS.connectionError),
  poolAcquire: diagnosticsChannel.channel(CHANNELS.poolAcquire),
  poolRelease: diagnosticsChannel.channel(CHANNELS.poolRelease),
  poolDestroy: diagnosticsChannel.channel(CHANNELS.poolDestroy),
  poolHealthCheck: diagnosticsChannel.channel(CHANNELS.poolHealthCheck),
  requestStart: diagnosticsChannel.channel(CHANNELS.requestStart),
  requestEnd: diagnosticsChannel.channel(CHANNELS.requestEnd),
  subscriptionResubscribe: diagnosticsChannel.channel(CHANNELS.subscriptionResubscribe),
  subscriptionEnd: diagnosticsChannel.channel(CHANNELS.subscriptionEnd),
  endpointEject: diagnosticsChannel.channel(CHANNELS.endpointEject),
  endpointReadmit: diagnosticsChannel.channel(CHANNELS.endpointReadmit),
};
