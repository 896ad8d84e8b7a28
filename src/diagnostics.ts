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
 * | `wspool:pool:destroy` | `{ pool, reason }`, reason ∈ `idle`, `lifetime`, `ping`, `hook`, `closed`, `released`, `error` |
 * | `wspool:pool:health-check` | `{ pool, checked, destroyed, created }` |
 * | `wspool:request:start` | `{ pool, id, method? }` |
 * | `wspool:request:end` | `{ pool, id, durationMs, error? }` |
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
export type DestroyReason = 'idle' | 'lifetime' | 'ping' | 'hook' | 'closed' | 'released' | 'error';

/** Payload of `wspool:connection:open`. */
export interface ConnectionOpenMessage {
  url: string;
  protocol: string;
  connectMs: number;
}
/** Payload of `wspool:connection:close`. */
export interface ConnectionCloseMessage {
  url: string;
  code: number;
  reason: string;
  wasClean: boolean;
  durationMs: number;
}
/** Payload of `wspool:connection:error`. */
export interface ConnectionErrorMessage {
  url: string;
  error: Error;
}
/** Payload of `wspool:pool:acquire`. */
export interface PoolAcquireMessage {
  pool: object;
  waitMs: number;
}
/** Payload of `wspool:pool:release`. */
export interface PoolReleaseMessage {
  pool: object;
  holdMs: number;
}
/** Payload of `wspool:pool:destroy`. */
export interface PoolDestroyMessage {
  pool: object;
  reason: DestroyReason;
}
/** Payload of `wspool:pool:health-check`. */
export interface PoolHealthCheckMessage {
  pool: object;
  checked: number;
  destroyed: number;
  created: number;
}
/** Payload of `wspool:request:start`. */
export interface RequestStartMessage {
  pool: object;
  id: number;
  method?: string;
}
/** Payload of `wspool:request:end`. */
export interface RequestEndMessage {
  pool: object;
  id: number;
  durationMs: number;
  error?: Error;
}

/** Channel names, for subscribers. */
export const CHANNELS = {
  connectionOpen: 'wspool:connection:open',
  connectionClose: 'wspool:connection:close',
  connectionError: 'wspool:connection:error',
  poolAcquire: 'wspool:pool:acquire',
  poolRelease: 'wspool:pool:release',
  poolDestroy: 'wspool:pool:destroy',
  poolHealthCheck: 'wspool:pool:health-check',
  requestStart: 'wspool:request:start',
  requestEnd: 'wspool:request:end',
} as const;

/** The channel objects; internal code publishes through these after a `hasSubscribers` check. */
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
};
