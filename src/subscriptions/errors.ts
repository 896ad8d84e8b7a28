/**
 * The errors subscriptions raise, built in one place so their messages stay uniform (what
 * happened, then what to do).
 * @module
 */
import { WsPoolError } from '../errors.js';

/** `WSPOOL_ERR_POOL_EXHAUSTED`: every connection carries its maximum of subscriptions. */
export function subscriptionsExhausted(perConn: number, maxConns: number): WsPoolError {
  return new WsPoolError(
    'WSPOOL_ERR_POOL_EXHAUSTED',
    `Every connection already carries ${perConn} subscriptions (maxSubscriptionsPerConn) and ${maxConns} connections are open (maxConns). Unsubscribe some, or raise maxSubscriptionsPerConn or maxConns.`,
  );
}

/** `WSPOOL_ERR_SUBSCRIPTION_OVERFLOW`: the consumer fell `bufferSize` notifications behind. */
export function overflowError(bufferSize: number): WsPoolError {
  return new WsPoolError(
    'WSPOOL_ERR_SUBSCRIPTION_OVERFLOW',
    `The subscription's consumer fell ${bufferSize} notifications behind (bufferSize), so it was ended. Read faster, raise bufferSize, or use overflow: 'drop-oldest'.`,
  );
}

/** `WSPOOL_ERR_REQUEST_TIMEOUT`: the server did not confirm the subscription in time. */
export function confirmTimeout(timeout: number): WsPoolError {
  return new WsPoolError(
    'WSPOOL_ERR_REQUEST_TIMEOUT',
    `The server did not confirm the subscription within ${timeout} ms. Retry, or raise the subscription's timeout (requestTimeout).`,
  );
}

/** `WSPOOL_ERR_REMOTE`: the server ended the subscription with an error (in `error.data`). */
export function serverEnded(error: unknown): WsPoolError {
  return new WsPoolError(
    'WSPOOL_ERR_REMOTE',
    "The server ended the subscription with an error; it is not re-subscribed. The server's error is in error.data.",
    { data: error },
  );
}

/** `WSPOOL_ERR_REMOTE`: the confirming reply carried no usable key. */
export function badKey(reply: unknown, cause: unknown): WsPoolError {
  return new WsPoolError(
    'WSPOOL_ERR_REMOTE',
    "The server's reply to the subscribe carries no subscription key the spec's key function could read (it must return a string or a number). The reply is in error.data.",
    { data: reply, cause },
  );
}
