/**
 * Errors as the CLI shows them: the stable code, the library's message, the underlying cause, and
 * one line of advice for someone at a terminal (which flag to change, what to check). Everything
 * printed passes through `scrubText`, so URL credentials and query values never reach the screen.
 */
import { WsPoolError } from '../index.js';
import { scrubText } from '../util/redact.js';
import { TLS_CODES } from '../connection/tls-codes.js';

/** The code under which `bench` counts an arrival dropped at the outstanding-requests cap. */
export const DROPPED = 'DROPPED';

/** The code of a `--mode jsonrpc` run against an endpoint that does not speak JSON-RPC 2.0. */
export const NOT_JSON_RPC = 'NOT_JSON_RPC';

/** What a dropped arrival is reported as (one shared object: drops come in bursts). */
export const DROPPED_ERROR = new Error(
  'Arrival dropped: --concurrency requests were already outstanding, so it was never sent.',
);

export interface ErrorReport {
  code: string;
  message: string;
  /** `ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1`, when there is an underlying error. */
  cause: string | undefined;
  advice: string;
}

const ADVICE: Readonly<Record<string, string>> = {
  WSPOOL_ERR_INVALID_URL: 'Pass an absolute ws:// or wss:// URL.',
  WSPOOL_ERR_INVALID_CONFIG: 'An option is out of range; the message names it.',
  WSPOOL_ERR_CONNECT_TIMEOUT:
    'TCP + TLS + upgrade did not finish in time: a firewall dropping packets, a wrong port or an overloaded server. Raise --timeout to tell slow from dead.',
  WSPOOL_ERR_CONNECT_FAILED: 'Check that the server is running and reachable from this machine.',
  WSPOOL_ERR_CONNECTION_CLOSED:
    'The server closed the connection (close code in the message); its logs say why.',
  WSPOOL_ERR_PING_TIMEOUT:
    'No pong: the server ignores pings (RFC 6455 section 5.5.2 requires an answer) or the path is dead.',
  WSPOOL_ERR_READ_TIMEOUT:
    'No reply within --timeout: the server is slow, or does not answer every message it gets.',
  WSPOOL_ERR_REQUEST_TIMEOUT:
    'No reply within --timeout: the server is slow, or does not answer this request (multiplex mode needs an endpoint that echoes).',
  WSPOOL_ERR_REMOTE: 'The server answered with an error: check --method and --params.',
  WSPOOL_ERR_ACQUIRE_TIMEOUT: 'No connection came free in time: raise --conns or --timeout.',
  WSPOOL_ERR_POOL_EXHAUSTED: 'Too many requests queued for a connection: raise --conns.',
  WSPOOL_ERR_INVALID_JSON: 'The server sent something that is not JSON.',
  WSPOOL_ERR_UNEXPECTED_MESSAGE_TYPE: 'The server answered text with binary, or binary with text.',
  [NOT_JSON_RPC]:
    'Use --mode exclusive (one request per connection at a time) or --mode multiplex for a plain echo endpoint, or check that the URL is the JSON-RPC endpoint.',
  [DROPPED]:
    'The open loop hit its --concurrency cap: the endpoint cannot keep up with --rate. Lower --rate or raise --concurrency.',
};

/** The key an error is counted under: its `code` when it has a string one, else its name. */
export function errorCode(error: unknown): string {
  if (error instanceof WsPoolError) return error.code;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return typeof code === 'string' ? code : error.name;
  }
  return 'ERROR';
}

/**
 * Code, message, cause and advice of `error`, with anything secret in `url` masked. `code` is the
 * one it was counted under, when the error itself does not carry it (`DROPPED`).
 */
export function describeError(error: unknown, url?: URL, code = errorCode(error)): ErrorReport {
  const scrub = (text: string): string => (url ? scrubText(text, url) : text);
  const message = scrub(error instanceof Error ? error.message : String(error));
  const inner = error instanceof Error ? error.cause : undefined;
  let cause: string | undefined;
  let causeCode: string | undefined;
  if (inner instanceof Error) {
    const c = (inner as NodeJS.ErrnoException).code;
    causeCode = typeof c === 'string' ? c : undefined;
    cause = scrub(causeCode ? `${causeCode}: ${inner.message}` : inner.message);
  } else if (typeof inner === 'string') {
    cause = scrub(inner);
  }
  const status = error instanceof WsPoolError ? error.status : undefined;
  return { code, message, cause, advice: advise(code, causeCode, status, message) };
}

function advise(
  code: string,
  causeCode: string | undefined,
  status: number | undefined,
  message: string,
): string {
  if (code === 'WSPOOL_ERR_CONNECT_FAILED') {
    // The library's message already names these two; the advice says which flag to change.
    if (/subprotocol/.test(message)) {
      return 'The server is up but refused the subprotocol: pass the one it supports with --protocol <name>.';
    }
    if (/answered in plain text, not TLS/.test(message)) {
      return 'That port speaks plain text: use a ws:// URL, or the wss:// URL of the TLS port.';
    }
    if (status === 401 || status === 403) {
      return `The server refused the handshake with HTTP ${status}: check the credentials or token (pass them with -H "Authorization: ...").`;
    }
    if (status === 404) return 'HTTP 404: the path is wrong; check the URL path of the WebSocket endpoint.';
    if (status !== undefined) {
      return `The server answered HTTP ${status} instead of 101 Switching Protocols: the URL is not a WebSocket endpoint, or a proxy is in the way.`;
    }
    if (causeCode === 'ECONNREFUSED') {
      return 'Nothing is listening on that host and port: start the server or fix the port (`wspool echo-server` runs a local one).';
    }
    if (causeCode === 'ENOTFOUND' || causeCode === 'EAI_AGAIN') {
      return 'The host name does not resolve: check it for typos, and the DNS or /etc/hosts of this machine.';
    }
    if (causeCode === 'ECONNRESET' || causeCode === 'EPIPE') {
      return 'The connection was cut during the handshake: a proxy or firewall, or ws:// spoken to a TLS port (try wss://).';
    }
    if (causeCode !== undefined && TLS_CODES.has(causeCode)) {
      return 'The server certificate is not trusted: pass its CA with --ca <file> (-k/--insecure skips the check, for local testing only).';
    }
  }
  return ADVICE[code] ?? 'See the error table in the wspool README.';
}
