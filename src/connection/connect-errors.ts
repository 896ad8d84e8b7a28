/**
 * Why a dial failed, in the user's words: each `WSPOOL_ERR_CONNECT_FAILED` names what went wrong
 * and the one thing to check or change. The raw error (an OpenSSL string, a `ws` message) stays in
 * `cause`, scrubbed of URL secrets.
 * @module
 */
import { WsPoolError } from '../errors.js';
import { scrubError } from '../util/redact.js';
import { TLS_CODES } from './tls-codes.js';

/**
 * OpenSSL's words when the bytes that came back are not a TLS record: the port speaks plain text
 * (HTTP) to a `wss:` client.
 */
const NOT_TLS = /wrong version number|packet length too long|http request|unknown protocol/i;

/** What `ws` says when the 101 answer's subprotocol does not fit the offer. */
const SUBPROTOCOL =
  /^Server sent (no subprotocol|an invalid subprotocol|a subprotocol but none was requested)/;

/**
 * The `WSPOOL_ERR_CONNECT_FAILED` of a dial to `url` (shown as `shownUrl`) that ended with `cause`
 * or an HTTP `status` instead of 101. `protocols` is what was offered.
 */
export function connectFailed(
  url: URL,
  shownUrl: string,
  protocols: string | string[] | undefined,
  cause: unknown,
  status?: number,
): WsPoolError {
  if (status !== undefined) {
    const hint =
      status === 401 || status === 403
        ? 'check the credentials or token (headers, or refresh them in beforeConnect)'
        : status === 404
          ? 'check the URL path'
          : 'check that the URL points at a WebSocket endpoint';
    return new WsPoolError(
      'WSPOOL_ERR_CONNECT_FAILED',
      `The server at ${shownUrl} answered the WebSocket upgrade with HTTP ${status} instead of 101; ${hint}.`,
      { status, cause: cause ?? new Error(`HTTP ${status}`) },
    );
  }
  // Scrubbed as a whole: the cause is printed with the error, and a dialer may quote the URL.
  const err = scrubError(cause instanceof Error ? cause : new Error(String(cause)), url);
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const subprotocol = SUBPROTOCOL.exec(err.message);
  if (subprotocol !== null) {
    return new WsPoolError(
      'WSPOOL_ERR_CONNECT_FAILED',
      refusedSubprotocol(shownUrl, protocols, subprotocol[1]!),
      {
        cause: err,
      },
    );
  }
  if (
    url.protocol === 'wss:' &&
    (code === 'EPROTO' || code.startsWith('ERR_SSL')) &&
    NOT_TLS.test(err.message)
  ) {
    const plain = new URL(shownUrl);
    plain.protocol = 'ws:';
    return new WsPoolError(
      'WSPOOL_ERR_CONNECT_FAILED',
      `Could not connect to ${shownUrl}: the server on that port answered in plain text, not TLS. Use ${plain.href} for a plain-text port, or point the wss:// URL at the server's TLS port.`,
      { cause: err },
    );
  }
  let hint = 'check that the server is running and reachable';
  if (code === 'ECONNREFUSED') hint = 'nothing is listening there; check the host and port';
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    hint = 'the host name does not resolve; check the URL';
  else if (code === 'ECONNRESET') hint = 'the connection was reset; a proxy or the server dropped it';
  else if (TLS_CODES.has(code))
    hint =
      'TLS verification failed; pass the server CA as tls.ca (do not disable verification in production)';
  return new WsPoolError(
    'WSPOOL_ERR_CONNECT_FAILED',
    `Could not connect to ${shownUrl}: ${err.message}; ${hint}.`,
    {
      cause: err,
    },
  );
}

/** The server upgraded (101) but its subprotocol choice does not fit what was offered. */
function refusedSubprotocol(
  shownUrl: string,
  protocols: string | string[] | undefined,
  what: string,
): string {
  const offered = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : protocols;
  const list = offered.map((p) => JSON.stringify(p)).join(', ');
  if (what === 'a subprotocol but none was requested') {
    return `The server at ${shownUrl} picked a subprotocol although none was offered; pass the one it expects in the protocols option.`;
  }
  const choice =
    what === 'no subprotocol'
      ? `accepted none of the subprotocols offered (${list})`
      : `with a subprotocol that was not offered (offered: ${list})`;
  return `The server at ${shownUrl} upgraded the connection but ${choice}; check the protocols option against the subprotocols the server supports.`;
}
