/**
 * `wspool probe <url>`: one dial through the library's `connect()`, timed phase by phase.
 *
 * The timings come from a custom `dialer` (the library's transport seam): it creates the `ws`
 * client with its own `createConnection`, which opens the TCP/TLS socket exactly as `ws` would and
 * watches it — `lookup` (DNS done), `connect` (TCP done), `secureConnect` (TLS done) — and the
 * client's `upgrade` event gives the 101 response with its `Sec-WebSocket-Extensions` header.
 * Everything else (deadline, typed errors, redaction) is the library's own behaviour.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import type { IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import { connect, type ConnectOptions, type Dialer } from '../index.js';
import { redactUrl } from '../util/redact.js';
import { PROBE_USAGE, type ProbeOptions } from './args.js';
import { connectOptions } from './connect-options.js';
import { describeError } from './errors.js';
import { formatProbe, probeJson, type ProbePhase, type ProbeResult, type ProbeTimings } from './report.js';

/** Moments (performance.now()) the dial reached; `undefined` = not (yet) reached. */
interface Marks {
  start: number;
  lookup?: number;
  connect?: number;
  secure?: number;
  response?: number;
  end?: number;
}

/** What the dialer observed besides the clock. */
interface Observed {
  address?: string | undefined;
  status?: number | undefined;
  extensions?: string;
  tls?: { protocol: string; cipher: string };
}

export async function runProbe(options: ProbeOptions): Promise<number> {
  const url = new URL(options.url);
  const marks: Marks = { start: 0 };
  const seen: Observed = {};
  const dialOptions: ConnectOptions = {
    ...(await connectOptions(options.connection, PROBE_USAGE)),
    dialer: timedDialer(marks, seen),
  };
  marks.start = performance.now();
  let error: unknown;
  let failedPhase: ProbePhase | undefined;
  let subprotocol: string | undefined;
  let pingMs: number | undefined;
  try {
    const conn = await connect(url, dialOptions);
    marks.end = performance.now();
    subprotocol = conn.protocol;
    try {
      pingMs = await conn.ping({ timeout: options.connection.timeoutMs });
    } catch (pingError) {
      error = pingError;
      failedPhase = 'ping';
    } finally {
      await conn.close();
    }
  } catch (connectError) {
    marks.end = performance.now();
    error = connectError;
    failedPhase = stalledPhase(url, marks);
  }

  const result: ProbeResult = {
    url: redactUrl(url),
    ok: error === undefined,
    failedPhase,
    address: seen.address,
    timings: phases(marks),
    httpStatus: seen.status,
    subprotocol,
    extensions: seen.extensions,
    tls: seen.tls,
    pingMs,
    error: error === undefined ? undefined : describeError(error, url),
  };
  if (options.json) process.stdout.write(`${probeJson(result)}\n`);
  else (result.ok ? process.stdout : process.stderr).write(formatProbe(result));
  return result.ok ? 0 : 1;
}

/**
 * A dialer that builds the same `ws` client as the library's default one, with a socket factory
 * that records when each phase of the connection completes.
 */
function timedDialer(marks: Marks, seen: Observed): Dialer {
  return (target, { protocols, ...options }) => {
    const secure = target.protocol === 'wss:';
    const ws = new WebSocket(target, protocols, {
      ...options,
      // `ws` hands this its request options (host, port, TLS options) and uses the socket returned.
      createConnection: (request: unknown) => {
        const socket = secure
          ? tlsSocket(request as tls.ConnectionOptions)
          : tcpSocket(request as net.NetConnectOpts);
        socket.once('lookup', (error: Error | null) => {
          if (!error) marks.lookup = performance.now();
        });
        socket.once('connect', () => {
          marks.connect = performance.now();
          seen.address = formatAddress(socket.remoteAddress, socket.remotePort);
        });
        if (socket instanceof tls.TLSSocket) {
          socket.once('secureConnect', () => {
            marks.secure = performance.now();
            seen.tls = { protocol: socket.getProtocol() ?? 'unknown', cipher: socket.getCipher().name };
          });
        }
        return socket;
      },
    });
    ws.once('upgrade', (response: IncomingMessage) => onResponse(response, marks, seen));
    // A non-101 answer: timed the same way (the library reports the error and its status).
    ws.once('unexpected-response', (_request: unknown, response: IncomingMessage) =>
      onResponse(response, marks, seen),
    );
    return ws;
  };
}

// As `ws` opens its sockets: `path` holds the URL path here, which net would take for a Unix
// socket; TLS gets SNI from the host name unless it is an IP address.
function tcpSocket(options: net.NetConnectOpts): net.Socket {
  return net.connect({ ...options, path: undefined } as net.NetConnectOpts);
}

function tlsSocket(options: tls.ConnectionOptions): tls.TLSSocket {
  const servername = options.servername ?? (net.isIP(options.host ?? '') ? '' : options.host);
  return tls.connect({ ...options, path: undefined, servername } as tls.ConnectionOptions);
}

function onResponse(response: IncomingMessage, marks: Marks, seen: Observed): void {
  marks.response = performance.now();
  seen.status = response.statusCode;
  const extensions = response.headers['sec-websocket-extensions'];
  if (extensions !== undefined) seen.extensions = extensions;
}

/** The first phase a failed dial did not complete. */
function stalledPhase(url: URL, m: Marks): ProbePhase {
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  if (m.lookup === undefined && net.isIP(hostname) === 0 && m.connect === undefined) return 'dns';
  if (m.connect === undefined) return 'tcp';
  if (url.protocol === 'wss:' && m.secure === undefined) return 'tls';
  return 'upgrade';
}

/** Each phase's own duration; a phase not reached (or not applicable, like DNS for an IP) is undefined. */
export function phases(m: Marks): ProbeTimings {
  const afterDns = m.lookup ?? m.start;
  const afterTransport = m.secure ?? m.connect;
  return {
    dns: m.lookup === undefined ? undefined : m.lookup - m.start,
    tcp: m.connect === undefined ? undefined : m.connect - afterDns,
    tls: m.secure === undefined || m.connect === undefined ? undefined : m.secure - m.connect,
    upgrade:
      m.response === undefined || afterTransport === undefined ? undefined : m.response - afterTransport,
    total: m.end === undefined ? undefined : m.end - m.start,
  };
}

function formatAddress(host: string | undefined, port: number | undefined): string | undefined {
  if (host === undefined) return undefined;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
