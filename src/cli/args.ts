/**
 * Command-line parsing for `wspool`: `util.parseArgs` (strict) per command, plus the usage texts.
 * Pure: nothing here touches the network, the file system or the process, so every rule is
 * unit-tested in-process. A bad argument throws {@link UsageError}; `main.ts` prints it with the
 * command's usage and exits 2.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** How `bench` drives the endpoint; one per library pool. */
export type BenchMode = 'exclusive' | 'multiplex' | 'jsonrpc';

const BENCH_MODES: readonly BenchMode[] = ['exclusive', 'multiplex', 'jsonrpc'];

/** What to send: a generated message of `bytes` bytes, or a file's contents. */
export type PayloadSpec = { kind: 'size'; bytes: number } | { kind: 'file'; path: string };

/** Flags that shape every connection, the same for `bench` and `probe`. */
export interface ConnectionFlags {
  /** Connect deadline (TCP + TLS + upgrade); `bench` also uses it per request, `probe` for the ping. */
  timeoutMs: number;
  protocols: string[];
  headers: Record<string, string>;
  deflate: boolean;
  /** A PEM file to trust (a private CA or a self-signed server). */
  ca: string | undefined;
  insecure: boolean;
}

export interface BenchOptions {
  /** The endpoint; `undefined` starts the embedded echo server. */
  url: string | undefined;
  mode: BenchMode;
  conns: number;
  /** Closed loop: workers sending back to back. Open loop: the cap on outstanding requests. */
  concurrency: number;
  durationMs: number;
  payload: PayloadSpec;
  /** Requests per second on a fixed schedule (open loop); `undefined` = closed loop. */
  rate: number | undefined;
  connection: ConnectionFlags;
  /** `jsonrpc` mode: the method called. */
  method: string;
  /** `jsonrpc` mode: the params; `undefined` = `[payload]`. */
  params: unknown[] | Record<string, unknown> | undefined;
  json: boolean;
}

export interface ProbeOptions {
  url: string;
  connection: ConnectionFlags;
  json: boolean;
}

export interface EchoServerOptions {
  host: string;
  port: number;
}

export type Command =
  | { name: 'help'; text: string }
  | { name: 'version' }
  | { name: 'bench'; options: BenchOptions }
  | { name: 'probe'; options: ProbeOptions }
  | { name: 'echo-server'; options: EchoServerOptions };

/** A bad command line: printed with `usage`, exit code 2. */
export class UsageError extends Error {
  readonly usage: string;

  constructor(message: string, usage: string) {
    super(message);
    this.usage = usage;
  }

  override get name(): string {
    return 'UsageError';
  }
}

export const BENCH_DEFAULTS = {
  mode: 'exclusive',
  conns: 4,
  concurrency: 16,
  durationMs: 10_000,
  payloadBytes: 64,
  method: 'echo',
} as const;

/** The default of `--timeout`: the library's `connectTimeout` default. */
export const DEFAULT_TIMEOUT_MS = 10_000;

export const ECHO_SERVER_DEFAULTS = { host: '127.0.0.1', port: 8080 } as const;

/** The largest message `bench` sends: the client's default `maxPayload`, so the echo still fits. */
export const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

export const MAIN_USAGE = `Usage: wspool <command> [options]

Commands:
  bench [url]     load a WebSocket endpoint through a wspool pool (no url: an embedded echo server)
  probe <url>     connect once and report DNS/TCP/TLS/upgrade timings, subprotocol, extensions, ping
  echo-server     run the echo + JSON-RPC 2.0 server on its own, for local testing

Options:
  -h, --help      show this help
  -V, --version   print the version of wspool

Run \`wspool <command> --help\` for a command's options.
`;

const CONNECTION_FLAGS_USAGE = `  -H, --header <name:value>  extra handshake header, repeatable
      --protocol <name>      subprotocol to offer, repeatable
      --deflate              offer permessage-deflate
      --ca <file>            trust this PEM certificate (a private CA or a self-signed server)
  -k, --insecure             do not verify the server's TLS certificate (local testing only)
`;

export const BENCH_USAGE = `Usage: wspool bench [url] [options]

Load a WebSocket endpoint through a wspool pool and report throughput, latency and errors.
Without a url, an embedded echo server (echo + JSON-RPC 2.0) runs in a child process.

Options:
  -m, --mode <mode>          exclusive | multiplex | jsonrpc (default: exclusive)
  -c, --conns <n>            connections in the pool, opened before the clock starts (default: 4)
      --concurrency <n>      requests in flight at once (default: 16); with --rate, the cap on
                             outstanding requests: an arrival beyond it is dropped (error DROPPED)
  -d, --duration <time>      how long to send: 500ms, 10s, 2m; a bare number is seconds (default: 10s)
  -p, --payload <size|file>  message size in bytes (64, 4k, 1m) or a file sent as is (default: 64)
  -r, --rate <n>             open loop: n requests per second on a fixed schedule; latency counts
                             from each request's scheduled time, so a stall is not hidden
      --method <name>        jsonrpc mode: the method to call (default: echo)
      --params <json>        jsonrpc mode: the params, a JSON array or object (default: [payload])
  -t, --timeout <time>       deadline per dial and per request (default: 10s)
${CONNECTION_FLAGS_USAGE}      --json                 print the summary as JSON on stdout
  -h, --help                 show this help

Modes:
  exclusive  Pool: acquire a connection, send the payload, read one reply, release
  multiplex  MultiplexPool: many requests per connection, replies matched by an id sent as
             "<id>:<payload>"; needs an endpoint that echoes (like the embedded server)
  jsonrpc    JsonRpcPool: call(method, params) per request

Progress goes to stderr once a second; the summary to stdout.
Exit codes: 0 done; 1 the run failed (no connection, or not one request succeeded);
2 bad arguments; 130 stopped by Ctrl-C (the summary is still printed).
`;

export const PROBE_USAGE = `Usage: wspool probe <url> [options]

Connect once and report DNS, TCP, TLS and upgrade timings, the negotiated subprotocol and
extensions, and a ping round trip; on failure, the typed error with advice. Credentials and
query values in the url are never printed.

Options:
  -t, --timeout <time>       connect (TCP + TLS + upgrade) and ping deadline (default: 10s)
${CONNECTION_FLAGS_USAGE}      --json                 print the report as JSON on stdout
  -h, --help                 show this help

Exit codes: 0 connected and ponged; 1 the probe failed; 2 bad arguments.
`;

export const ECHO_SERVER_USAGE = `Usage: wspool echo-server [options]

Run the embedded echo server: every message is echoed back as is, except JSON-RPC 2.0 requests
(single or batch), which get {"jsonrpc":"2.0","id":<id>,"result":<params>}. Any offered
subprotocol is accepted, and permessage-deflate when the client offers it.

Options:
      --host <host>          interface to listen on (default: 127.0.0.1)
  -p, --port <port>          port to listen on; 0 picks a free one (default: 8080)
  -h, --help                 show this help

Prints its ws:// URL, then serves until Ctrl-C.
`;

const USAGES: Readonly<Record<string, string>> = {
  bench: BENCH_USAGE,
  probe: PROBE_USAGE,
  'echo-server': ECHO_SERVER_USAGE,
};

const HELP = { type: 'boolean', short: 'h' } as const;
const JSON_FLAG = { type: 'boolean' } as const;
const CONNECTION_ARGS = {
  timeout: { type: 'string', short: 't' },
  header: { type: 'string', short: 'H', multiple: true },
  protocol: { type: 'string', multiple: true },
  deflate: { type: 'boolean' },
  ca: { type: 'string' },
  insecure: { type: 'boolean', short: 'k' },
} as const satisfies ParseArgsConfig['options'];

const BENCH_ARGS = {
  mode: { type: 'string', short: 'm' },
  conns: { type: 'string', short: 'c' },
  concurrency: { type: 'string' },
  duration: { type: 'string', short: 'd' },
  payload: { type: 'string', short: 'p' },
  rate: { type: 'string', short: 'r' },
  method: { type: 'string' },
  params: { type: 'string' },
  ...CONNECTION_ARGS,
  json: JSON_FLAG,
  help: HELP,
} as const satisfies ParseArgsConfig['options'];

const PROBE_ARGS = {
  ...CONNECTION_ARGS,
  json: JSON_FLAG,
  help: HELP,
} as const satisfies ParseArgsConfig['options'];

const ECHO_SERVER_ARGS = {
  host: { type: 'string' },
  port: { type: 'string', short: 'p' },
  help: HELP,
} as const satisfies ParseArgsConfig['options'];

/** Parse `argv` (without `node` and the script). Throws {@link UsageError}. */
export function parseCommand(argv: readonly string[]): Command {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError('missing command', MAIN_USAGE);
  if (command === '-h' || command === '--help') return { name: 'help', text: MAIN_USAGE };
  if (command === '-V' || command === '--version' || command === 'version') {
    if (rest.length > 0) throw new UsageError(`${command} takes no arguments`, MAIN_USAGE);
    return { name: 'version' };
  }
  if (command === 'help') {
    const topic = rest[0];
    if (topic === undefined) return { name: 'help', text: MAIN_USAGE };
    const text = USAGES[topic];
    if (text === undefined) throw new UsageError(`unknown command "${topic}"`, MAIN_USAGE);
    return { name: 'help', text };
  }
  switch (command) {
    case 'bench':
      return parseBench(rest);
    case 'probe':
      return parseProbe(rest);
    case 'echo-server':
      return parseEchoServer(rest);
    default:
      throw new UsageError(`unknown command "${command}"`, MAIN_USAGE);
  }
}

function parseBench(args: readonly string[]): Command {
  const { values, positionals } = parse(args, BENCH_ARGS, BENCH_USAGE);
  if (values.help) return { name: 'help', text: BENCH_USAGE };
  const fail = (message: string): never => {
    throw new UsageError(message, BENCH_USAGE);
  };
  if (positionals.length > 1) fail(`expected at most one url, got ${positionals.length} arguments`);
  const mode = values.mode ?? BENCH_DEFAULTS.mode;
  if (!(BENCH_MODES as readonly string[]).includes(mode)) {
    fail(`--mode must be one of ${BENCH_MODES.join(', ')}, got "${mode}"`);
  }
  const url = positionals[0];
  if (url !== undefined) checkUrlSyntax(url, BENCH_USAGE);
  let params: BenchOptions['params'];
  if (values.params !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(values.params);
    } catch {
      fail('--params must be JSON, e.g. \'["latest", true]\' or \'{"n": 1}\'');
    }
    if (typeof parsed !== 'object' || parsed === null) fail('--params must be a JSON array or object');
    params = parsed as BenchOptions['params'];
  }
  return {
    name: 'bench',
    options: {
      url,
      mode: mode as BenchMode,
      conns: intOption('--conns', values.conns, BENCH_DEFAULTS.conns, 1, 10_000, BENCH_USAGE),
      concurrency: intOption(
        '--concurrency',
        values.concurrency,
        BENCH_DEFAULTS.concurrency,
        1,
        1_000_000,
        BENCH_USAGE,
      ),
      durationMs: durationOption('--duration', values.duration, BENCH_DEFAULTS.durationMs, BENCH_USAGE),
      payload: payloadOption(values.payload, BENCH_USAGE),
      rate: values.rate === undefined ? undefined : rateOption(values.rate, BENCH_USAGE),
      connection: connectionFlags(values, BENCH_USAGE),
      method: values.method ?? BENCH_DEFAULTS.method,
      params,
      json: values.json ?? false,
    },
  };
}

function parseProbe(args: readonly string[]): Command {
  const { values, positionals } = parse(args, PROBE_ARGS, PROBE_USAGE);
  if (values.help) return { name: 'help', text: PROBE_USAGE };
  const url = positionals[0];
  if (url === undefined) throw new UsageError('missing url', PROBE_USAGE);
  if (positionals.length > 1) {
    throw new UsageError(`expected one url, got ${positionals.length} arguments`, PROBE_USAGE);
  }
  checkUrlSyntax(url, PROBE_USAGE);
  return {
    name: 'probe',
    options: {
      url,
      connection: connectionFlags(values, PROBE_USAGE),
      json: values.json ?? false,
    },
  };
}

function connectionFlags(values: ParsedValues<typeof CONNECTION_ARGS>, usage: string): ConnectionFlags {
  return {
    timeoutMs: durationOption('--timeout', values.timeout, DEFAULT_TIMEOUT_MS, usage),
    protocols: values.protocol ?? [],
    headers: headerOption(values.header, usage),
    deflate: values.deflate ?? false,
    ca: values.ca,
    insecure: values.insecure ?? false,
  };
}

function parseEchoServer(args: readonly string[]): Command {
  const { values, positionals } = parse(args, ECHO_SERVER_ARGS, ECHO_SERVER_USAGE);
  if (values.help) return { name: 'help', text: ECHO_SERVER_USAGE };
  if (positionals.length > 0) {
    throw new UsageError(`unexpected argument "${positionals[0]}"`, ECHO_SERVER_USAGE);
  }
  return {
    name: 'echo-server',
    options: {
      host: values.host ?? ECHO_SERVER_DEFAULTS.host,
      port: intOption('--port', values.port, ECHO_SERVER_DEFAULTS.port, 0, 65_535, ECHO_SERVER_USAGE),
    },
  };
}

function parse<O extends NonNullable<ParseArgsConfig['options']>>(
  args: readonly string[],
  options: O,
  usage: string,
): { values: ParsedValues<O>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options,
      strict: true,
      allowPositionals: true,
    });
    return { values, positionals };
  } catch (error) {
    // parseArgs reports unknown options, missing values and the like as ERR_PARSE_ARGS_* TypeErrors.
    if ((error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS_')) {
      throw new UsageError((error as Error).message, usage);
    }
    throw error;
  }
}

type ParsedValues<O extends NonNullable<ParseArgsConfig['options']>> = {
  [K in keyof O]?: O[K] extends { type: 'boolean' }
    ? boolean
    : O[K] extends { multiple: true }
      ? string[]
      : string;
};

/**
 * Only the shape is checked here (so a typo is exit 2, not a failed run); the library's own
 * `parseWsUrl` stays the judge of what it accepts. Never echo the input: it may hold credentials.
 */
function checkUrlSyntax(url: string, usage: string): void {
  const schemeless = schemelessHost(url);
  if (schemeless !== undefined) {
    throw new UsageError(`the url needs a scheme: ws://${schemeless}, or wss:// for TLS`, usage);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError('the url does not parse; pass an absolute ws:// or wss:// URL', usage);
  }
  if (parsed.protocol === 'http:' || parsed.protocol === 'https:') {
    const scheme = parsed.protocol === 'http:' ? 'ws' : 'wss';
    throw new UsageError(
      `the url scheme must be ws: or wss:, got ${parsed.protocol}, use ${scheme}://`,
      usage,
    );
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new UsageError(`the url scheme must be ws: or wss:, got ${parsed.protocol}`, usage);
  }
}

/**
 * `host:port` or `host[:port]/path` typed without a scheme (`localhost:8080`, `127.0.0.1:9000/ws`):
 * the host and port, to suggest `ws://` with. Only those two are echoed, never a path or query.
 */
function schemelessHost(url: string): string | undefined {
  if (url.includes('://')) return undefined;
  const match =
    /^(localhost|[\d.]+|\[[\da-fA-F:.]+\]|[A-Za-z\d-]+(?:\.[A-Za-z\d-]+)+)(:\d{1,5})?(?=[/?#]|$)/.exec(url);
  if (match === null) return undefined;
  // A bare word with a dot and no port could be a file name; ask only when it looks like a host.
  const [, host, port] = match;
  const more = url.length > host!.length + (port?.length ?? 0);
  if (port === undefined && !more && host !== 'localhost') return undefined;
  return `${host}${port ?? ''}${more ? '/…' : ''}`;
}

/** An integer option in `[min, max]`, or `fallback` when absent. */
export function intOption(
  flag: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
  usage: string,
): number {
  if (value === undefined) return fallback;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got "${value}"`, usage);
  }
  return n;
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const MAX_DURATION_MS = 24 * 3_600_000;

/** `500ms`, `2s`, `1.5m`, `1h`; a bare number is seconds. Positive, at most a day. */
export function durationOption(
  flag: string,
  value: string | undefined,
  fallback: number,
  usage: string,
): number {
  if (value === undefined) return fallback;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  const ms = match ? Number(match[1]) * (DURATION_UNITS[match[2] ?? 's'] ?? NaN) : NaN;
  if (!(ms >= 1 && ms <= MAX_DURATION_MS)) {
    throw new UsageError(
      `${flag} must be a duration from 1ms to 24h such as 500ms, 10s or 2m, got "${value}"`,
      usage,
    );
  }
  return Math.round(ms);
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
};

/** `64`, `4k`, `1mb` (powers of 1024) is a generated message of that size; anything else is a file. */
export function payloadOption(value: string | undefined, usage: string): PayloadSpec {
  if (value === undefined) return { kind: 'size', bytes: BENCH_DEFAULTS.payloadBytes };
  const match = /^(\d+)([a-z]*)$/i.exec(value);
  if (!match) return { kind: 'file', path: value };
  const unit = SIZE_UNITS[(match[2] ?? '').toLowerCase()];
  const bytes = unit === undefined ? NaN : Number(match[1]) * unit;
  if (!(Number.isSafeInteger(bytes) && bytes >= 1 && bytes <= MAX_PAYLOAD_BYTES)) {
    throw new UsageError(
      `--payload must be a size from 1 byte to 16m (e.g. 64, 4k, 1m) or a file path, got "${value}"`,
      usage,
    );
  }
  return { kind: 'size', bytes };
}

/** The open loop's ceiling: one process cannot schedule arrivals faster than this. */
const MAX_RATE = 10_000_000;

function rateOption(value: string, usage: string): number {
  const n = /^\d+(?:\.\d+)?$/.test(value) ? Number(value) : NaN;
  if (n > MAX_RATE) {
    throw new UsageError(
      `--rate ${value} is above ${MAX_RATE.toLocaleString('en-US')} requests per second, more than one process can schedule; lower it, or leave --rate out for a closed loop as fast as the server answers`,
      usage,
    );
  }
  if (!(n > 0)) {
    throw new UsageError(
      `--rate must be a number of requests per second above 0 (e.g. 500 or 0.5), got "${value}"; leave it out for a closed loop`,
      usage,
    );
  }
  return n;
}

/** `-H "Name: value"`, repeatable. */
export function headerOption(values: readonly string[] | undefined, usage: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const raw of values ?? []) {
    const colon = raw.indexOf(':');
    const name = colon > 0 ? raw.slice(0, colon).trim() : '';
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      // The value may be a secret: name only the header.
      throw new UsageError(
        `--header must be "Name: value"${name ? `, got a bad name "${name}"` : ''}`,
        usage,
      );
    }
    headers[name] = raw.slice(colon + 1).trim();
  }
  return headers;
}
