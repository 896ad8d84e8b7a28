/**
 * Closing one pooled connection: `beforeClose`, then the closing handshake. Shared by the exclusive
 * and the multiplexed pool, so the hook behaves the same in both.
 */
import { MAX_TIMER_MS, startTimer, stopTimer, type Timer } from '../clock.js';
import type { Connection } from '../connection/connection.js';
import { kTerminate } from '../connection/internal.js';
import { redactUrl } from '../util/redact.js';
import type { ResolvedPoolConfig } from './config.js';
import { reportBackground } from './on-error.js';

/**
 * Run `beforeClose` (awaited at most `closeTimeout` ms; a throw goes to `onError` with phase
 * `'close'`, no caller being there to see it; so a hook can never keep a socket open), then close: the handshake with `reason`, which `Connection.close` also bounds by
 * `closeTimeout`, or a terminate when `forced`. Never rejects.
 */
export async function closePooledConnection(
  conn: Connection,
  config: ResolvedPoolConfig,
  forced = false,
  reason = '',
): Promise<void> {
  const hook = config.beforeClose;
  if (hook !== undefined && conn.isOpen) await bounded(hook, conn, config);
  if (forced) await conn[kTerminate]();
  else await conn.close(1000, reason).catch(() => conn[kTerminate]());
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
): Promise<void> {
  const limit = config.connect.closeTimeout;
  const run = Promise.resolve()
    .then(() => hook(conn))
    .catch((thrown: unknown) => {
      if (config.onError !== undefined) {
        reportBackground(config.onError, thrown, 'close', config.url, redactUrl(config.url));
      }
    });
  if (limit === Infinity) return run;
  let timer: Timer | undefined;
  const expired = new Promise<void>((resolve) => {
    timer = startTimer(resolve, Math.min(limit, MAX_TIMER_MS));
  });
  try {
    await Promise.race([run, expired]);
  } finally {
    stopTimer(timer);
  }
}
