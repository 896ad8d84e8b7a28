/**
 * Opening one pooled connection: `beforeConnect` → dial → `afterConnect` → drop the greeting.
 * Shared by the exclusive and the multiplexed pool, so hooks behave the same in both.
 */
import { dial } from '../connection/connect.js';
import type { Connection } from '../connection/connection.js';
import { kDiscardPending, kTerminate } from '../connection/internal.js';
import { WsPoolError } from '../errors.js';
import { scrubError, scrubText } from '../util/redact.js';
import type { ResolvedPoolConfig } from './config.js';

/** The open connection and how many greeting messages were dropped after `afterConnect`. */
export interface OpenedConnection {
  conn: Connection;
  discarded: number;
}

/**
 * Dial one connection for a pool, running its hooks. Errors are `WsPoolError`s (hook throws as
 * `cause`); `signal` (the pool closing) abandons the dial. `keepGreeting`: leave what arrived
 * before and during `afterConnect` queued (a multiplexed pool hands it to `onMessage`).
 */
export async function openPooledConnection(
  config: ResolvedPoolConfig,
  signal?: AbortSignal,
  keepGreeting = false,
): Promise<OpenedConnection> {
  const url = new URL(config.url.href);
  const headers = { ...config.connect.headers };
  if (config.beforeConnect) {
    try {
      await config.beforeConnect({ url, headers });
    } catch (thrown) {
      throw new WsPoolError(
        'WSPOOL_ERR_CONNECT_FAILED',
        `The beforeConnect hook threw (${scrubText(errorMessage(thrown), url)}); no connection was dialled. Fix the hook.`,
        { cause: scrubThrown(thrown, url) },
      );
    }
  }
  const conn = await dial(url, config.connect, headers, signal);
  if (config.afterConnect) {
    try {
      await config.afterConnect(conn);
    } catch (thrown) {
      conn[kTerminate]().catch(() => undefined);
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

/** A hook's throw as a cause: the same value unless it quotes a secret of `url` (it may quote the URL). */
function scrubThrown(thrown: unknown, url: URL): unknown {
  if (thrown instanceof Error) return scrubError(thrown, url);
  return typeof thrown === 'string' ? scrubText(thrown, url) : thrown;
}

/** The message of an unknown thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
