/**
 * Dialling: turn a URL and options into an open {@link Connection}, or a typed error.
 *
 * One deadline (`connectTimeout`) covers TCP connect, TLS and the HTTP upgrade together; `ws`'s own
 * `handshakeTimeout` is a socket-idle timer, which a server trickling bytes could defeat.
 */
import { WebSocket, type ClientOptions } from 'ws';
import type { IncomingMessage } from 'node:http';
import { MAX_TIMER_MS, monotonic, startTimer, stopTimer } from '../clock.js';
import { channels } from '../diagnostics.js';
import { WsPoolError } from '../errors.js';
import { redactUrl } from '../util/redact.js';
import { connectFailed } from './connect-errors.js';
import { Connection, type Corkable } from './connection.js';
import { kCreate } from './internal.js';
import {
  resolveConnectOptions,
  type ConnectOptions,
  type DialOptions,
  type ResolvedConnectOptions,
} from './options.js';
import { parseWsUrl } from './url.js';

/**
 * Open a standalone WebSocket connection.
 *
 * @example
 * ```ts
 * const conn = await connect('wss://api.example.com/ws', { connectTimeout: 5_000 });
 * await conn.sendMessage('hello');
 * console.log(await conn.readMessage({ timeout: 1_000 }));
 * await conn.close();
 * ```
 * @throws {WsPoolError} `WSPOOL_ERR_INVALID_URL`, `WSPOOL_ERR_INVALID_CONFIG` (synchronously validated,
 *   reported as a rejection), `WSPOOL_ERR_CONNECT_FAILED` (`status` for HTTP answers),
 *   `WSPOOL_ERR_CONNECT_TIMEOUT`; an abort rejects with `signal.reason`.
 */
export async function connect(url: string | URL, options: ConnectOptions = {}): Promise<Connection> {
  const target = parseWsUrl(url);
  const resolved = resolveConnectOptions(options);
  return dial(target, resolved, resolved.headers, options.signal);
}

const defaultDialer = (url: URL, { protocols, ...options }: DialOptions): WebSocket =>
  new WebSocket(url, protocols, options);

/**
 * Dial `url` with already-validated options. `headers` are passed separately so a pool's
 * `beforeConnect` hook can change them per dial.
 */
export function dial(
  url: URL,
  options: ResolvedConnectOptions,
  headers: Record<string, string>,
  signal?: AbortSignal,
): Promise<Connection> {
  if (signal?.aborted) return Promise.reject(signal.reason as Error);
  const shownUrl = redactUrl(url);
  const started = monotonic();
  const wsOptions: DialOptions = {
    ...options.wsOptions,
    headers: { ...options.wsOptions?.headers, ...headers },
    maxPayload: options.maxPayload,
    perMessageDeflate: options.perMessageDeflate,
    autoPong: true,
    ...tlsOptions(options),
  };
  if (options.protocols !== undefined) wsOptions.protocols = options.protocols;

  return new Promise<Connection>((resolve, reject) => {
    let socket: WebSocket;
    try {
      socket = (options.dialer ?? defaultDialer)(url, wsOptions);
    } catch (cause) {
      reject(connectFailed(url, shownUrl, options.protocols, cause));
      return;
    }
    let settled = false;
    let status: number | undefined;
    let transport: Corkable | undefined;

    const cleanup = (): void => {
      settled = true;
      stopTimer(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('open', onOpen);
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.off('unexpected-response', onUnexpectedResponse);
      socket.off('upgrade', onUpgrade);
    };
    const fail = (error: unknown): void => {
      if (settled) return;
      cleanup();
      socket.on('error', noop); // terminate() during the handshake emits an error we already report
      socket.terminate();
      if (channels.connectionError.hasSubscribers && error instanceof WsPoolError) {
        channels.connectionError.publish({ url: shownUrl, error });
      }
      reject(error);
    };
    const onOpen = (): void => {
      if (settled) return;
      cleanup();
      const conn = Connection[kCreate](socket, {
        url: shownUrl,
        maxBufferedMessages: options.maxBufferedMessages,
        sendHighWaterMark: options.sendHighWaterMark,
        closeTimeout: options.closeTimeout,
        keepAliveInterval: options.keepAliveInterval,
        pingTimeout: options.pingTimeout,
        transport,
      });
      if (channels.connectionOpen.hasSubscribers) {
        channels.connectionOpen.publish({
          url: shownUrl,
          protocol: socket.protocol,
          connectMs: monotonic() - started,
        });
      }
      resolve(conn);
    };
    const onError = (error: Error): void =>
      fail(connectFailed(url, shownUrl, options.protocols, error, status));
    const onClose = (): void =>
      fail(
        connectFailed(
          url,
          shownUrl,
          options.protocols,
          new Error('the socket closed during the handshake'),
          status,
        ),
      );
    const onUnexpectedResponse = (_req: unknown, res: IncomingMessage): void => {
      status = res.statusCode;
      res.resume();
      fail(connectFailed(url, shownUrl, options.protocols, undefined, status));
    };
    // The socket the WebSocket will run on: the connection corks it to send a turn's frames at once.
    const onUpgrade = (res: IncomingMessage): void => {
      const candidate = res.socket as Partial<Corkable> | null;
      if (typeof candidate?.cork === 'function' && typeof candidate.uncork === 'function') {
        transport = candidate as Corkable;
      }
    };
    const onAbort = (): void => fail(signal?.reason);
    const timer =
      options.connectTimeout === Infinity
        ? undefined
        : startTimer(
            () =>
              fail(
                new WsPoolError(
                  'WSPOOL_ERR_CONNECT_TIMEOUT',
                  `Connecting to ${shownUrl} did not finish within ${options.connectTimeout} ms (TCP + TLS + upgrade). Check that the server is reachable and answering, or raise connectTimeout.`,
                ),
              ),
            Math.min(options.connectTimeout, MAX_TIMER_MS),
          );

    socket.on('open', onOpen);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.on('unexpected-response', onUnexpectedResponse);
    socket.on('upgrade', onUpgrade);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function tlsOptions(options: ResolvedConnectOptions): Partial<ClientOptions> & { servername?: string } {
  const tls = options.tls;
  const out: Partial<ClientOptions> & { servername?: string } = {};
  if (!tls) return out;
  if (tls.ca !== undefined) out.ca = tls.ca;
  if (tls.cert !== undefined) out.cert = tls.cert;
  if (tls.key !== undefined) out.key = tls.key;
  if (tls.rejectUnauthorized !== undefined) out.rejectUnauthorized = tls.rejectUnauthorized;
  if (tls.servername !== undefined) out.servername = tls.servername;
  return out;
}

function noop(): void {}
