/**
 * Every error wspool raises is a {@link WsPoolError} with a stable `code`.
 *
 * | code | raised when | what to do |
 * |---|---|---|
 * | `WSPOOL_ERR_INVALID_CONFIG` | an option has the wrong type or range | fix the named option |
 * | `WSPOOL_ERR_INVALID_URL` | the URL does not parse or is not `ws:`/`wss:` | pass a `ws://` or `wss://` URL |
 * | `WSPOOL_ERR_CONNECT_TIMEOUT` | TCP + TLS + upgrade did not finish within `connectTimeout` | check reachability or raise `connectTimeout` |
 * | `WSPOOL_ERR_CONNECT_FAILED` | refused, reset, DNS, TLS or non-101 answer (`status`) | see `cause` / `status` |
 * | `WSPOOL_ERR_CONNECTION_CLOSED` | the socket closed (`closeCode`, `closeReason`) | acquire another connection / retry |
 * | `WSPOOL_ERR_READ_TIMEOUT` | no message within the read `timeout` | nothing was consumed; read again or give up |
 * | `WSPOOL_ERR_PING_TIMEOUT` | no pong within the ping `timeout` | the peer or path is dead; discard the connection |
 * | `WSPOOL_ERR_UNEXPECTED_MESSAGE_TYPE` | text where binary was expected or vice versa | the message is in `error.data` |
 * | `WSPOOL_ERR_INVALID_JSON` | a message is not valid JSON / a value cannot be serialised | the message is in `error.data` |
 * | `WSPOOL_ERR_ACQUIRE_TIMEOUT` | no connection within the acquire `timeout` | raise `maxConns`/`acquireTimeout`; `cause` has the last dial error |
 * | `WSPOOL_ERR_ACQUIRE_FAILED` | `beforeAcquire` rejected `maxConns + 1` connections | check the hook |
 * | `WSPOOL_ERR_POOL_EXHAUSTED` | more than `maxWaiting` acquires queued | shed load or raise `maxWaiting` |
 * | `WSPOOL_ERR_POOL_CLOSED` | the pool is closed or closing | do not use a pool after `close()` |
 * | `WSPOOL_ERR_CONN_RELEASED` | a handle was used after `release()`/`destroy()` | acquire a new handle |
 * | `WSPOOL_ERR_REQUEST_TIMEOUT` | a multiplexed request got no reply in time | retry or raise `requestTimeout` |
 * | `WSPOOL_ERR_REMOTE` | the server answered a request with an error | the server's error is in `error.data` |
 * | `WSPOOL_ERR_SUBSCRIPTION_OVERFLOW` | a subscriber fell `bufferSize` notifications behind (`overflow: 'error'`) | read faster, raise `bufferSize`, or use `overflow: 'drop-oldest'` |
 *
 * @module
 */

/** All error codes, as a runtime list (useful for exhaustive checks in tests and dashboards). */
export const ERROR_CODES = [
  'WSPOOL_ERR_INVALID_CONFIG',
  'WSPOOL_ERR_INVALID_URL',
  'WSPOOL_ERR_CONNECT_TIMEOUT',
  'WSPOOL_ERR_CONNECT_FAILED',
  'WSPOOL_ERR_CONNECTION_CLOSED',
  'WSPOOL_ERR_READ_TIMEOUT',
  'WSPOOL_ERR_PING_TIMEOUT',
  'WSPOOL_ERR_UNEXPECTED_MESSAGE_TYPE',
  'WSPOOL_ERR_INVALID_JSON',
  'WSPOOL_ERR_ACQUIRE_TIMEOUT',
  'WSPOOL_ERR_ACQUIRE_FAILED',
  'WSPOOL_ERR_POOL_EXHAUSTED',
  'WSPOOL_ERR_POOL_CLOSED',
  'WSPOOL_ERR_CONN_RELEASED',
  'WSPOOL_ERR_REQUEST_TIMEOUT',
  'WSPOOL_ERR_REMOTE',
  'WSPOOL_ERR_SUBSCRIPTION_OVERFLOW',
] as const;

/** A stable error code; see the table in this module's docs. */
export type WsPoolErrorCode = (typeof ERROR_CODES)[number];

/** Extra fields an error may carry. */
export interface WsPoolErrorDetails {
  /** The underlying error. */
  cause?: unknown;
  /** HTTP status of a refused upgrade (`WSPOOL_ERR_CONNECT_FAILED`). */
  status?: number;
  /** Close code of the socket (`WSPOOL_ERR_CONNECTION_CLOSED`). */
  closeCode?: number;
  /** Close reason of the socket (`WSPOOL_ERR_CONNECTION_CLOSED`). */
  closeReason?: string;
  /** The consumed message (`UNEXPECTED_MESSAGE_TYPE`, `INVALID_JSON`) or the server's error (`REMOTE`). */
  data?: unknown;
}

// A brand shared by every copy of the package loaded in one process, so `instanceof` holds across
// duplicate installs (two versions in node_modules, ESM and CJS copies side by side).
const kBrand = Symbol.for('wspool.WsPoolError');

/**
 * The one error class of wspool. Check `error.code` (stable) rather than the message (prose).
 *
 * @example
 * ```ts
 * try { await pool.acquire({ timeout: 1000 }); }
 * catch (err) { if (err instanceof WsPoolError && err.code === 'WSPOOL_ERR_ACQUIRE_TIMEOUT') shedLoad(); }
 * ```
 */
export class WsPoolError extends Error {
  /** The stable error code. */
  readonly code: WsPoolErrorCode;
  /** HTTP status of a refused upgrade, when there was one. */
  readonly status?: number;
  /** Close code of the socket, for `WSPOOL_ERR_CONNECTION_CLOSED`. */
  readonly closeCode?: number;
  /** Close reason of the socket, for `WSPOOL_ERR_CONNECTION_CLOSED`. */
  readonly closeReason?: string;
  /** The consumed message, or the server's error for `WSPOOL_ERR_REMOTE`. */
  readonly data?: unknown;

  /** Errors are raised by wspool; constructing one yourself is for tests and custom dialers. */
  constructor(code: WsPoolErrorCode, message: string, details: WsPoolErrorDetails = {}) {
    super(message, 'cause' in details ? { cause: details.cause } : undefined);
    this.code = code;
    if (details.status !== undefined) this.status = details.status;
    if (details.closeCode !== undefined) this.closeCode = details.closeCode;
    if (details.closeReason !== undefined) this.closeReason = details.closeReason;
    if ('data' in details) this.data = details.data;
  }

  /** Always `'WsPoolError'`. */
  override get name(): string {
    return 'WsPoolError';
  }

  /** `instanceof` checks a brand shared by every copy of the package, not the prototype chain. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kBrand] === true;
  }
}

Object.defineProperty(WsPoolError.prototype, kBrand, { value: true });

/** True when `value` is a {@link WsPoolError}, optionally with the given code. */
export function isWsPoolError(value: unknown, code?: WsPoolErrorCode): value is WsPoolError {
  return value instanceof WsPoolError && (code === undefined || value.code === code);
}

/** The error for use after `close()`. */
export function poolClosedError(what = 'pool'): WsPoolError {
  return new WsPoolError(
    'WSPOOL_ERR_POOL_CLOSED',
    `The ${what} is closed: it takes no new work after close(). Create a new one if you need to continue.`,
  );
}

/** The error for an operation on a socket that is closed. */
export function connectionClosedError(code: number, reason: string, cause?: unknown): WsPoolError {
  const why = reason ? ` (${code} ${reason})` : ` (${code})`;
  return new WsPoolError(
    'WSPOOL_ERR_CONNECTION_CLOSED',
    `The WebSocket connection is closed${why}; acquire or open another connection and retry.`,
    cause === undefined
      ? { closeCode: code, closeReason: reason }
      : { closeCode: code, closeReason: reason, cause },
  );
}

/** The error for a configuration value out of its accepted range. */
export function invalidConfig(field: string, expected: string, got: unknown): WsPoolError {
  return new WsPoolError(
    'WSPOOL_ERR_INVALID_CONFIG',
    `Invalid option \`${field}\`: expected ${expected}, got ${describe(got)}.`,
  );
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined)
    return String(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
