/**
 * `wspool watch <url>`: one connection through the library's `connect()`, every message printed
 * with its arrival time. A lost connection is redialled with backoff and the subscription sent
 * again; the gap is printed. Ctrl-C (or `--count`) ends the watch with a summary.
 *
 * Messages go to stdout (one line each, so the output pipes into grep or jq after `cut`); what
 * happens to the connection goes to stderr.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, WsPoolError, type Connection, type ConnectOptions, type Message } from '../index.js';
import { redactUrl } from '../util/redact.js';
import { WATCH_USAGE, type WatchOptions } from './args.js';
import { connectOptions } from './connect-options.js';
import { describeError } from './errors.js';
import { errorLines } from './report.js';

/** Redial backoff: doubles from the first to the last, back to the first after a good connect. */
const FIRST_RETRY_MS = 500;
const LAST_RETRY_MS = 10_000;
/** Bytes of a binary message shown, as hex. */
const BINARY_PREVIEW_BYTES = 32;

interface Tally {
  messages: number;
  reconnects: number;
}

/** `HH:MM:SS.mmm` in UTC. */
const clock = (): string => new Date().toISOString().slice(11, 23);
const status = (text: string): void => void process.stderr.write(`${clock()}  ${text}\n`);
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function show(message: Message): string {
  if (typeof message === 'string') return message;
  const hex = Buffer.from(message.subarray(0, BINARY_PREVIEW_BYTES)).toString('hex');
  return `<binary ${message.byteLength} bytes> ${hex}${message.byteLength > BINARY_PREVIEW_BYTES ? '…' : ''}`;
}

export async function runWatch(options: WatchOptions): Promise<number> {
  const dial = await connectOptions(options.connection, WATCH_USAGE);
  const shown = redactUrl(options.url);
  // Ctrl-C (or --count) aborts this; every wait below (dial, backoff, read) ends on it.
  const stop = new AbortController();
  const onSigint = (): void => stop.abort();
  process.once('SIGINT', onSigint);
  const tally: Tally = { messages: 0, reconnects: 0 };
  const started = performance.now();
  let lostAt: number | undefined;
  let retryMs = FIRST_RETRY_MS;
  try {
    while (!stop.signal.aborted) {
      let conn: Connection;
      try {
        conn = await connect(options.url, { ...dial, signal: stop.signal } satisfies ConnectOptions);
      } catch (error) {
        if (stop.signal.aborted) break;
        if (lostAt === undefined) {
          // The very first dial: a wrong URL or a server that is down is the answer, not a retry.
          process.stderr.write(
            `wspool watch: could not connect to ${shown}\n${errorLines(describeError(error, new URL(options.url))).join('\n')}\n`,
          );
          return 1;
        }
        const code = error instanceof WsPoolError ? error.code : 'error';
        status(`redial failed (${code}); next try in ${seconds(retryMs)}`);
        await sleep(retryMs, undefined, { signal: stop.signal }).catch(() => undefined);
        retryMs = Math.min(retryMs * 2, LAST_RETRY_MS);
        continue;
      }
      if (lostAt === undefined) status(`connected to ${shown}`);
      else {
        tally.reconnects++;
        status(`reconnected after a gap of ${seconds(performance.now() - lostAt)}`);
      }
      retryMs = FIRST_RETRY_MS;
      const reason = await watchConnection(conn, options, stop, tally);
      lostAt = performance.now();
      if (!stop.signal.aborted) status(`${reason}; reconnecting`);
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
  const elapsed = performance.now() - started;
  const rate = elapsed > 0 ? (tally.messages * 1000) / elapsed : 0;
  process.stderr.write(
    `wspool watch: ${tally.messages} messages in ${seconds(elapsed)} (${rate.toFixed(1)}/s), ` +
      `${tally.reconnects} reconnect${tally.reconnects === 1 ? '' : 's'}\n`,
  );
  return 0;
}

/**
 * Subscribes on `conn` and prints what arrives until the connection is lost or `stop` aborts;
 * resolves with why it ended, and always with `conn` closed.
 */
async function watchConnection(
  conn: Connection,
  options: WatchOptions,
  stop: AbortController,
  tally: Tally,
): Promise<string> {
  // An abort closes the connection, which ends the `for await` below: the read is bounded by it.
  const closeOnStop = (): void => void conn.close();
  stop.signal.addEventListener('abort', closeOnStop, { once: true });
  try {
    if (options.send !== undefined) await conn.sendMessage(options.send);
    if (options.jsonRpc !== undefined) {
      const { method, params } = options.jsonRpc;
      await conn.sendJSON({ jsonrpc: '2.0', id: 1, method, ...(params === undefined ? {} : { params }) });
    }
    for await (const message of conn) {
      process.stdout.write(`${clock()}  ${show(message)}\n`);
      tally.messages++;
      if (options.count !== undefined && tally.messages >= options.count) {
        stop.abort();
        break; // messages already received stay readable after the close: do not print them
      }
    }
    if (stop.signal.aborted) return 'stopped';
    // The iteration ended on a normal close, so `closed` has resolved already.
    const { code, reason } = await conn.closed;
    return `the server closed the connection (${code}${reason ? ` ${reason}` : ''})`;
  } catch (error) {
    return `connection lost (${error instanceof WsPoolError ? error.message : String(error)})`;
  } finally {
    stop.signal.removeEventListener('abort', closeOnStop);
    await conn.close();
  }
}
