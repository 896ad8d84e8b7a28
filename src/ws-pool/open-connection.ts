/**
 * Opening one pooled connection: `beforeConnect` → dial → `afterConnect` → drop the greeting.
 * Shared by the exclusive and the multiplexed pool, so hooks behave the same in both.
 */
import { dial } from '../connection/connect.js';
import type { Connection } from '../connection/connection.js';
import { kDiscardPending, kTerminate } from '../connection/internal.js';
import { WsPoolError } from '../errors.js';
import { parseWsUrl } from '../connection/url.js';
import { raceBounds } from '../util/race-bounds.js';
import { scrubError, scrubText } from '../util/redact.js';
import type { ResolvedPoolConfig } from './config.js';

/** The open connection and how many greeting messages were dropped after `afterConnect`. */
export interface OpenedConnection {
  conn: Connection;
  discarded: number;
}

/**
 * Dial one connection for a pool, running its hooks. Errors are `WsPoolError`s (hook throws as
 * `cause`). `closing` (the pool closing) abandons the dial at any point; `ownerGaveUp` (the acquire
 * this dial runs for stopped waiting) abandons it while a hook runs for that acquire. The raw dial
 * itself is not cut by `ownerGaveUp`: its connection serves the next acquire, or goes idle.
 *
 * Bounds: `beforeConnect` and `afterConnect` are raced against both signals, and a connection
 * whose `afterConnect` loses the race is terminated (the hook's pending reads reject); the dial is
 * bounded by `connectTimeout` and `closing`. `keepGreeting`: leave what arrived before and during
 * `afterConnect` queued (a multiplexed pool hands it to `onMessage`). `target`: the endpoint
 * chosen (the pool's `url` by default); `beforeConnect` sees a copy of it.
 */
export async function openPooledConnection(
  config: ResolvedPoolConfig,
  closing?: AbortSignal,
  ownerGaveUp?: AbortSignal,
  keepGreeting = false,
  target: URL = config.url,
): Promise<OpenedConnection> {
  let url = new URL(target.href);
  let headers = { ...config.connect.headers };
  if (config.beforeConnect) {
    const ctx = { url, headers };
    try {
      await raceHook(config.beforeConnect(ctx), closing, ownerGaveUp);
    } catch (thrown) {
      if (isAbortOf(thrown, closing, ownerGaveUp)) throw thrown;
      throw new WsPoolError(
        'WSPOOL_ERR_CONNECT_FAILED',
        `The beforeConnect hook threw (${scrubText(errorMessage(thrown), url)}); no connection was dialled. Fix the hook.`,
        { cause: scrubThrown(thrown, url) },
      );
    }
    // The hook may have replaced either one instead of mutating it: the dial uses what ctx holds.
    ({ url, headers } = checkReplaced(ctx, url));
  }
  const conn = await dial(url, config.connect, headers, closing);
  if (config.afterConnect) {
    try {
      await raceHook(config.afterConnect(conn), closing, ownerGaveUp);
    } catch (thrown) {
      conn[kTerminate]().catch(() => undefined);
      if (isAbortOf(thrown, closing, ownerGaveUp)) throw thrown;
      throw new WsPoolError(
        'WSPOOL_ERR_CONNECT_FAILED',
        `The afterConnect hook threw (${scrubText(errorMessage(thrown), url)}); the new connection was discarded.`,
        { cause: scrubThrown(thrown, url) },
      );
    }
  }
  if (!conn.isOpen) {
    throw new WsPoolError(
      'WSPOOL_ERR_CONNECT_FAILED',
      `The connection to ${conn.url} closed right after opening; check the server's logs.`,
    );
  }
  // A greeting, or a reply to afterConnect's traffic, must not reach an exclusive pool's first
  // borrower. A multiplexed pool has no borrower: its server's pushes are for onMessage.
  return { conn, discarded: keepGreeting ? 0 : conn[kDiscardPending]() };
}

/**
 * A hook's result raced against the signals that may abandon it (rejecting with the first one's
 * reason). `ownerGaveUp` already aborted when the hook starts is left out: a dial whose owner gave
 * up before this hook began runs it for whoever comes next, like any dial (bounded by `closing`).
 */
function raceHook(
  result: void | Promise<void>,
  closing: AbortSignal | undefined,
  ownerGaveUp: AbortSignal | undefined,
): Promise<void> {
  const owner = ownerGaveUp?.aborted === true ? undefined : ownerGaveUp;
  return raceBounds(Promise.resolve(result), [closing, owner]);
}

/** Did `thrown` come from one of the signals abandoning the dial (not from the hook)? */
function isAbortOf(thrown: unknown, ...signals: (AbortSignal | undefined)[]): boolean {
  return signals.some((signal) => signal?.aborted === true && signal.reason === thrown);
}

/** The URL and headers `beforeConnect` left in `ctx`, checked if it replaced them. */
function checkReplaced(
  ctx: { url: unknown; headers: unknown },
  before: URL,
): { url: URL; headers: Record<string, string> } {
  const url = ctx.url === before ? before : parseWsUrl(ctx.url);
  const headers = ctx.headers;
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw new WsPoolError(
      'WSPOOL_ERR_CONNECT_FAILED',
      `beforeConnect set ctx.headers to ${Array.isArray(headers) ? 'an array' : String(headers)}; it must be an object of header names to strings. Fix the hook.`,
    );
  }
  return { url, headers: headers as Record<string, string> };
}

/** A hook's throw as a cause: the same value unless it quotes a secret of `url` (it may quote the URL). */
function scrubThrown(thrown: unknown, url: URL): unknown {
  if (thrown instanceof Error) return scrubError(thrown, url);
  return typeof thrown === 'string' ? scrubText(thrown, url) : thrown;
}

/** The message of an unknown thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
