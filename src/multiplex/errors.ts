/**
 * The errors only the multiplexed pools raise, built in one place so their messages stay uniform
 * (what happened, then what to do). Codes are listed in `ERROR_CODES`.
 * @module
 */
import { WsPoolError } from '../errors.js';

/** `WSPOOL_ERR_REQUEST_TIMEOUT`: no reply within the request's timeout. */
export function requestTimeoutError(timeout: number): WsPoolError {
  return new WsPoolError(
    'WSPOOL_ERR_REQUEST_TIMEOUT',
    `No reply within ${timeout} ms (counted from the call, time queued included); a reply that comes later is dropped. Retry, or raise the request's timeout (requestTimeout).`,
  );
}

/** `WSPOOL_ERR_POOL_EXHAUSTED`: the queue for room is at `maxWaiting`. */
export function exhausted(maxWaiting: number): WsPoolError {
  return new WsPoolError(
    'WSPOOL_ERR_POOL_EXHAUSTED',
    `${maxWaiting} requests are already queued for room (maxWaiting): every connection is at maxInFlightPerConn and maxConns is reached. Shed load, or raise maxWaiting, maxInFlightPerConn or maxConns.`,
  );
}

/** `WSPOOL_ERR_REMOTE` for a reply with `ok: false`; the server's error travels as `data`. */
export function remoteError(error: unknown): WsPoolError {
  let detail = '';
  if (typeof error === 'string') detail = `: ${error.slice(0, 200)}`;
  else if (typeof error === 'object' && error !== null) {
    const { message, code } = error as { message?: unknown; code?: unknown };
    if (typeof message === 'string') detail = `: ${message.slice(0, 200)}`;
    if (typeof code === 'number' || typeof code === 'string') detail += ` (code ${code})`;
  }
  return new WsPoolError(
    'WSPOOL_ERR_REMOTE',
    `The server answered the request with an error${detail}. Its error is in error.data.`,
    { data: error },
  );
}
