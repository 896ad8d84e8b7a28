/**
 * Closing one pooled connection: `beforeClose`, then the closing handshake. Shared by the exclusive
 * and the multiplexed pool, so the hook behaves the same in both.
 */
import { MAX_TIMER_MS, startTimer, stopTimer, type Timer } from '../clock.js';
import type { Connection } from '../connection/connection.js';
import { kTerminate } from '../connection/internal.js';
import type { ResolvedPoolConfig } from './config.js';

/**
 * Run `beforeClose` (awaited at most `closeTimeout` ms, a throw ignored, so a hook can never keep a
 * socket open), then close: the handshake with `reason`, which `Connection.close` also bounds by
 * `closeTimeout`, or a terminate when `forced`. Never rejects.
 */
export async function closePooledConnection(
  conn: Connection,
  config: ResolvedPoolConfig,
  forced = false,
  reason = '',
): Promise<void> {
  const hook = config.beforeClose;
  if (hook !== undefined && conn.isOpen) await bounded(hook, conn, config.connect.closeTimeout);
  if (forced) await conn[kTerminate]();
  else await conn.close(1000, reason).catch(() => conn[kTerminate]());
}

async function bounded(
  hook: NonNullable<ResolvedPoolConfig['beforeClose']>,
  conn: Connection,
  limit: number,
): Promise<void> {
  const run = Promise.resolve()
    .then(() => hook(conn))
    .catch(() => undefined);
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
