import type { ClientOptions, WebSocket } from 'ws';
import type { SecureContextOptions } from 'node:tls';
import { invalidConfig } from '../errors.js';
import {
  checkBoolean,
  checkDuration,
  checkInteger,
  checkKnownKeys,
  checkOptionalFunction,
  checkOptionalObject,
} from '../util/validate.js';

/** TLS settings for `wss:` URLs. Verification is on unless you turn it off. */
export interface TlsOptions {
  /** Trusted CA certificate(s), e.g. for a self-signed server. */
  ca?: SecureContextOptions['ca'];
  /** Client certificate (mutual TLS). */
  cert?: SecureContextOptions['cert'];
  /** Client private key (mutual TLS). */
  key?: SecureContextOptions['key'];
  /**
   * Verify the server certificate. Turning it off exposes the connection to interception.
   * @default true
   */
  rejectUnauthorized?: boolean;
  /** SNI server name, when it differs from the URL host. */
  servername?: string;
}

/** What a {@link Dialer} receives: `ws` client options plus the subprotocols. */
export type DialOptions = ClientOptions & {
  /** Subprotocol(s) to offer, from {@link ConnectOptions.protocols}. */
  protocols?: string | string[];
};

/**
 * Opens the underlying socket: `(url, options) => WebSocket`. The default creates a `ws` client; a
 * custom dialer is the seam for other transports (a proxy agent, a test double).
 */
export type Dialer = (url: URL, options: DialOptions) => WebSocket;

/** Options of {@link connect} (and, per connection, of every pool). */
export interface ConnectOptions {
  /** Subprotocol(s) offered in the handshake. */
  protocols?: string | string[];
  /** Extra handshake headers. */
  headers?: Record<string, string>;
  /**
   * TCP + TLS + HTTP upgrade must finish within this many ms, else `WSPOOL_ERR_CONNECT_TIMEOUT`.
   * @default 10_000
   */
  connectTimeout?: number;
  /** Aborts the dial; the returned promise rejects with `signal.reason`. */
  signal?: AbortSignal;
  /**
   * Largest inbound message in bytes; a larger one closes the socket with 1009.
   * @default 16 MiB
   */
  maxPayload?: number;
  /**
   * Unread inbound messages kept. At the limit the socket is paused (TCP backpressure) and resumed
   * as reads drain it. Messages are never dropped.
   * @default 1024
   */
  maxBufferedMessages?: number;
  /**
   * `send*()` resolves only once the socket's `bufferedAmount` is below this many bytes.
   * @default 1 MiB
   */
  sendHighWaterMark?: number;
  /**
   * permessage-deflate compression.
   * @default false
   */
  perMessageDeflate?: boolean;
  /** TLS settings for `wss:`. */
  tls?: TlsOptions;
  /** Passed through to `ws` (agent, followRedirects, …). wspool's own options win on conflict. */
  wsOptions?: ClientOptions;
  /**
   * `close()` waits this long for the closing handshake, then terminates the socket.
   * @default 5_000
   */
  closeTimeout?: number;
  /**
   * While the connection is open, once it has received nothing (no message, ping or pong) for this
   * many ms it is pinged; no pong within `pingTimeout` → the socket is terminated, and reads then
   * reject `WSPOOL_ERR_CONNECTION_CLOSED` with the `WSPOOL_ERR_PING_TIMEOUT` as `cause`. So a
   * half-open socket (peer gone, no FIN) never leaves a `for await` waiting for ever, and a
   * proxy or NAT sees traffic on a quiet connection. A busy connection is never pinged.
   * `Infinity` turns it off.
   * @default 30_000
   */
  keepAliveInterval?: number;
  /**
   * Pong deadline of keepalive pings, and the default `timeout` of `ping()` (in pools, also of
   * health and acquire pings).
   * @default 5_000
   */
  pingTimeout?: number;
  /**
   * Opens the socket. The default is `ws`.
   * @default (url, { protocols, ...options }) => new WebSocket(url, protocols, options)
   */
  dialer?: Dialer;
}

/** Connect options with every default applied (internal). */
export interface ResolvedConnectOptions {
  protocols: string | string[] | undefined;
  headers: Record<string, string>;
  connectTimeout: number;
  maxPayload: number;
  maxBufferedMessages: number;
  sendHighWaterMark: number;
  perMessageDeflate: boolean;
  tls: TlsOptions | undefined;
  wsOptions: ClientOptions | undefined;
  closeTimeout: number;
  keepAliveInterval: number;
  pingTimeout: number;
  dialer: Dialer | undefined;
}

/** Defaults of {@link ConnectOptions}. */
export const CONNECT_DEFAULTS = {
  connectTimeout: 10_000,
  maxPayload: 16 * 1024 * 1024,
  maxBufferedMessages: 1024,
  sendHighWaterMark: 1024 * 1024,
  perMessageDeflate: false,
  closeTimeout: 5_000,
  keepAliveInterval: 30_000,
  pingTimeout: 5_000,
} as const;

/** The option names of {@link ConnectOptions}. */
export const CONNECT_OPTION_KEYS: ReadonlySet<string> = new Set([
  'protocols',
  'headers',
  'connectTimeout',
  'signal',
  'maxPayload',
  'maxBufferedMessages',
  'sendHighWaterMark',
  'perMessageDeflate',
  'tls',
  'wsOptions',
  'closeTimeout',
  'keepAliveInterval',
  'pingTimeout',
  'dialer',
]);

const TLS_KEYS: ReadonlySet<string> = new Set(['ca', 'cert', 'key', 'rejectUnauthorized', 'servername']);

/**
 * Validate connect options and apply defaults. Throws `WSPOOL_ERR_INVALID_CONFIG` naming the field.
 * `knownKeys` lets a pool validate its wider option set in one place.
 */
export function resolveConnectOptions(
  options: ConnectOptions,
  knownKeys: ReadonlySet<string> | null = CONNECT_OPTION_KEYS,
): ResolvedConnectOptions {
  if (typeof options !== 'object' || options === null) throw invalidConfig('options', 'an object', options);
  if (knownKeys) checkKnownKeys('connect', options, knownKeys);
  const o = options;
  const protocols = o.protocols;
  if (
    protocols !== undefined &&
    typeof protocols !== 'string' &&
    !(Array.isArray(protocols) && protocols.every((p) => typeof p === 'string'))
  ) {
    throw invalidConfig('protocols', 'a string or an array of strings', protocols);
  }
  const headers = checkOptionalObject<Record<string, string>>('headers', o.headers) ?? {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') throw invalidConfig(`headers.${name}`, 'a string', value);
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw invalidConfig('signal', 'an AbortSignal', o.signal);
  }
  const tls = checkOptionalObject<TlsOptions>('tls', o.tls);
  if (tls) {
    checkKnownKeys('tls', tls, TLS_KEYS);
    if (tls.rejectUnauthorized !== undefined) checkBoolean('tls.rejectUnauthorized', tls.rejectUnauthorized);
    if (tls.servername !== undefined && typeof tls.servername !== 'string')
      throw invalidConfig('tls.servername', 'a string', tls.servername);
    // Checked here, not left to the TLS layer at the first dial (a late CONNECT_FAILED from a typo).
    for (const field of ['ca', 'cert', 'key'] as const) {
      const value: unknown = tls[field];
      if (value !== undefined && !isPemInput(value, field === 'key')) {
        throw invalidConfig(`tls.${field}`, 'a PEM string, a Buffer, or an array of them', value);
      }
    }
  }
  return {
    protocols,
    headers: { ...headers },
    connectTimeout:
      o.connectTimeout === undefined
        ? CONNECT_DEFAULTS.connectTimeout
        : checkDuration('connectTimeout', o.connectTimeout, { allowInfinity: true }),
    maxPayload:
      o.maxPayload === undefined ? CONNECT_DEFAULTS.maxPayload : checkInteger('maxPayload', o.maxPayload, 1),
    maxBufferedMessages:
      o.maxBufferedMessages === undefined
        ? CONNECT_DEFAULTS.maxBufferedMessages
        : checkInteger('maxBufferedMessages', o.maxBufferedMessages, 1),
    sendHighWaterMark:
      o.sendHighWaterMark === undefined
        ? CONNECT_DEFAULTS.sendHighWaterMark
        : checkInteger('sendHighWaterMark', o.sendHighWaterMark, 0),
    perMessageDeflate:
      o.perMessageDeflate === undefined
        ? CONNECT_DEFAULTS.perMessageDeflate
        : checkBoolean('perMessageDeflate', o.perMessageDeflate),
    tls,
    wsOptions: checkOptionalObject<ClientOptions>('wsOptions', o.wsOptions),
    closeTimeout:
      o.closeTimeout === undefined
        ? CONNECT_DEFAULTS.closeTimeout
        : checkDuration('closeTimeout', o.closeTimeout, { allowZero: true, allowInfinity: true }),
    keepAliveInterval:
      o.keepAliveInterval === undefined
        ? CONNECT_DEFAULTS.keepAliveInterval
        : checkDuration('keepAliveInterval', o.keepAliveInterval, { allowInfinity: true }),
    pingTimeout:
      o.pingTimeout === undefined
        ? CONNECT_DEFAULTS.pingTimeout
        : checkDuration('pingTimeout', o.pingTimeout, { allowInfinity: true }),
    dialer: checkOptionalFunction<Dialer>('dialer', o.dialer),
  };
}

/** What `tls.connect()` takes for `ca`/`cert`/`key`: PEM text or bytes, or a list (keys may be `{ pem }`). */
function isPemInput(value: unknown, isKey: boolean): boolean {
  const isPem = (v: unknown): boolean => typeof v === 'string' || v instanceof Uint8Array;
  if (isPem(value)) return true;
  return (
    Array.isArray(value) &&
    value.every(
      (v) =>
        isPem(v) || (isKey && typeof v === 'object' && v !== null && isPem((v as { pem?: unknown }).pem)),
    )
  );
}
