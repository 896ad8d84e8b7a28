/**
 * Closing one pooled connection: `beforeClose`, then the closing handshake. Shared by the exclusive
 * and the multiplexed pool, so the hook behaves the same in both.
 */
import type { Connection } from '../connection/connection.js';
import { kTerminate } from '../connection/internal.js';
import { raceBounds } from '../util/race-bounds.js';
import { redactUrl } from '../util/redact.js';
import type { ResolvedPoolConfig } from './config.js';
import { reportBackground } from './on-error.js';

/**
 * Run `beforeClose` (awaited at most `closeTimeout` ms, so a hook can never keep a socket open; a
 * throw goes to `onError`, phase `'close'`: nobody else would see it), then close: the handshake
 * with `reason`, which `Connection.close` also bounds by `closeTimeout`, or a terminate when
 * `forced`. `cutShort` (a pool's `close({ timeout })` running out) ends the hook and the handshake
 * early: the socket is terminated. Never rejects.
 */
export async function closePooledConnection(
  conn: Connection,
  config: ResolvedPoolConfig,
  forced = false,
  reason = '',
  cutShort?: AbortSignal,
): Promise<void> {
  const hook = config.beforeClose;
  if (hook !== undefined && conn.isOpen && cutShort?.aborted !== true) {
    await bounded(hook, conn, config, cutShort);
  }
  // Bound: the socket's own close, which a terminate brings at once.
  if (forced || cutShort?.aborted === true) await conn[kTerminate]();
  // Bound: closeTimeout (Connection.close terminates after it) and close({ timeout }), whichever is
  // first; a handshake cut short ends in a terminate.
  else await raceBounds(conn.close(1000, reason), [cutShort]).catch(() => conn[kTerminate]());
}

/**
 * Fit a close reason into the 123 bytes a close frame allows (RFC 6455, section 5.5: 125-byte control
 * payload, 2 for the code). Cut on a code point boundary: a cut inside a multi-byte character would
 * decode to U+FFFD (3 bytes), overflow the limit, make `close()` reject, and turn a clean close into
 * a terminate the server sees as 1006.
 */
export function truncateReason(reason: string): string {
  if (Buffer.byteLength(reason) <= 123) return reason;
  let out = '';
  let bytes = 0;
  for (const char of reason) {
    const size = Buffer.byteLength(char);
    if (bytes + size > 120) break;
    out += char;
    bytes += size;
  }
  return out + '...';
}

async function bounded(
  hook: NonNullable<ResolvedPoolConfig['beforeClose']>,
  conn: Connection,
  config: ResolvedPoolConfig,
  cutShort: AbortSignal | undefined,
): Promise<void> {
  const run = Promise.resolve()
    .then(() => hook(conn))
    .catch((thrown: unknown) =>
      reportBackground(config.onError, thrown, 'close', config.url, redactUrl(config.url)),
    );
  // Bound: closeTimeout, and the pool's close({ timeout }). Expiry is no error: the close goes on.
  await raceBounds(run, [cutShort], config.connect.closeTimeout).catch(noop);
}

function noop(): void {}
