/**
 * wspool: a WebSocket client for Node.js with a dynamic connection pool. {@link connect} opens a
 * standalone {@link Connection}; {@link Pool} / {@link createPool} lend exclusive connections
 * (pgxpool semantics). Every error is a {@link WsPoolError} with a stable `code`; observability is
 * `stat()`, the {@link CHANNELS | diagnostics channels} and the `wspool/otel` subpath.
 *
 * @example
 * ```ts
 * import { createPool } from 'wspool';
 *
 * const pool = await createPool({ url: 'wss://api.example.com/ws', maxConns: 10 });
 * const reply = await pool.withConnection(async (conn) => {
 *   await conn.sendJSON({ op: 'ping' });
 *   return conn.readJSON<{ op: string }>({ timeout: 5_000 });
 * });
 * await pool.close();
 * ```
 * @module
 */
// The public surface of wspool: re-exports only. Internal helpers stay unexported.
export { ERROR_CODES, WsPoolError, isWsPoolError } from './errors.js';
export type { WsPoolErrorCode, WsPoolErrorDetails } from './errors.js';
export { connect } from './connection/connect.js';
export { Connection } from './connection/connection.js';
export type { CloseInfo, PingOptions, SendData } from './connection/connection.js';
export type { Message, ReadOptions } from './connection/inbox.js';
export type { ConnectOptions, Dialer, DialOptions, TlsOptions } from './connection/options.js';
export { CHANNELS } from './diagnostics.js';
export type * from './diagnostics.js';
export { Pool, createPool } from './ws-pool/pool.js';
export type { AcquireOptions, PoolCloseOptions } from './ws-pool/pool.js';
export { PooledConnection } from './ws-pool/pooled-connection.js';
export type { PoolConfig, BeforeConnectContext } from './ws-pool/config.js';
export type { BackgroundErrorInfo, BackgroundPhase, OnError } from './ws-pool/on-error.js';
export type { PoolStat, LeakReport } from './ws-pool/stat.js';
export type { BalanceMode, EndpointInput, EndpointOptions } from './endpoints/config.js';
export type { EndpointStat } from './endpoints/endpoint-set.js';
export type { EndpointState } from './endpoints/health.js';
export { MultiplexPool } from './multiplex/multiplex-pool.js';
export { JsonRpcPool } from './multiplex/json-rpc-pool.js';
export type { Codec, Decoded, Reply } from './multiplex/codec.js';
export type { MultiplexPoolConfig, RequestOptions } from './multiplex/config.js';
export type { MultiplexPoolStat } from './multiplex/stat.js';
export type { JsonRpcPoolConfig, JsonRpcSubscribeOptions } from './multiplex/json-rpc-pool.js';
export type { BatchOptions } from './multiplex/batcher.js';
export { Subscription } from './subscriptions/subscription.js';
export type {
  GapFill,
  GapInfo,
  SubscribeOptions,
  SubscriptionEnd,
  SubscriptionKey,
  SubscriptionNotification,
  SubscriptionSpec,
} from './subscriptions/types.js';
export type { JsonRpcCall, JsonRpcErrorObject } from './multiplex/json-rpc.js';
