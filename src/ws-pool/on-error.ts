/**
 * `onError`: where errors that no caller sees go — failed background dials (refills to `minConns`,
 * re-subscribes), health-check failures, hook throws during close, endpoint ejections. An error
 * that rejects a caller's promise never goes here. One reporter per pool, shared by both pool kinds.
 * @module
 */
import { WsPoolError } from '../errors.js';
import { scrubError } from '../util/redact.js';

/** Where a background error happened (`info.phase` of {@link PoolConfig.onError}). */
export type BackgroundPhase =
  'refill' | 'health-check' | 'resubscribe' | 'unsubscribe' | 'close' | 'endpoint';

/** What `onError` is told besides the error. */
export interface BackgroundErrorInfo {
  /** The work that failed. */
  readonly phase: BackgroundPhase;
  /** The (redacted) URL of the connection or endpoint concerned. */
  readonly url: string;
}

/** The `onError` hook's shape. */
export type OnError = (error: WsPoolError, info: BackgroundErrorInfo) => void;

/**
 * Report `error` to the pool's `onError` (a no-op without one). A value that is not a
 * `WsPoolError` (a hook's throw) is wrapped, the thrown value as `cause`; a secret of `url` is
 * scrubbed from it. A throw inside `onError` is ignored: reporting must never break the pool.
 */
export function reportBackground(
  onError: OnError | undefined,
  error: unknown,
  phase: BackgroundPhase,
  url: URL,
  redactedUrl: string,
): void {
  if (onError === undefined) return;
  const reported = error instanceof WsPoolError ? error : wrapThrown(error, phase, url);
  try {
    onError(reported, Object.freeze({ phase, url: redactedUrl }));
  } catch {
    // A throw inside onError is ignored (documented on `onError`).
  }
}

/**
 * A hook's throw as a `WsPoolError`. During close the only hook is `beforeClose`, and the socket is
 * closed anyway: that is a connection that closed, not a dial that failed.
 */
function wrapThrown(thrown: unknown, phase: BackgroundPhase, url: URL): WsPoolError {
  const what = thrown instanceof Error ? thrown.message : String(thrown);
  const cause = thrown instanceof Error ? scrubError(thrown, url) : thrown;
  if (phase === 'close') {
    return new WsPoolError(
      'WSPOOL_ERR_CONNECTION_CLOSED',
      `The beforeClose hook threw (${what}); the connection was closed anyway. Fix the hook.`,
      { cause },
    );
  }
  return new WsPoolError(
    'WSPOOL_ERR_CONNECT_FAILED',
    `A background ${phase} step failed (${what}); the pool carries on and will try again.`,
    { cause },
  );
}
