/**
 * `exchange()`: send a request, then read the next message as its reply, under one deadline that
 * covers both (for protocols without correlation ids). Shared by `Connection` and the pooled handle.
 */
import { monotonic } from '../clock.js';
import { WsPoolError } from '../errors.js';
import { raceBounds } from '../util/race-bounds.js';
import { invalidCallOptions } from '../util/validate.js';
import type { ReadOptions } from './inbox.js';

/**
 * Run `send()`, then `read()` with what is left of the deadline. A send still waiting for room when
 * the deadline passes rejects `WSPOOL_ERR_READ_TIMEOUT` (the frame may still go out: the peer must
 * not be trusted to be in step any more); an abort rejects with `signal.reason`.
 */
export function runExchange<R>(
  send: () => Promise<void>,
  read: (options: ReadOptions | undefined) => Promise<R>,
  options: ReadOptions | undefined,
): Promise<R> {
  if (options === undefined) return send().then(() => read(undefined));
  const invalid = invalidCallOptions(options, true);
  if (invalid) return Promise.reject(invalid);
  const { signal, timeout = Infinity } = options;
  if (signal?.aborted === true) return Promise.reject(signal.reason as Error);
  const started = monotonic();
  return boundedSend(send(), timeout, signal).then(() => read(optionsLeft(started, timeout, signal)));
}

/**
 * Read options for what is left of `timeout` ms counted from `started` (a {@link monotonic} read),
 * with `signal`: the rest of one deadline that covers several steps.
 */
export function optionsLeft(started: number, timeout: number, signal: AbortSignal | undefined): ReadOptions {
  const remaining = timeout === Infinity ? Infinity : Math.max(0, timeout - (monotonic() - started));
  return signal ? { signal, timeout: remaining } : { timeout: remaining };
}

/** `sending`, unless `timeout` ms pass or `signal` aborts first. */
function boundedSend(
  sending: Promise<void>,
  timeout: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  return raceBounds(
    sending,
    [signal],
    timeout,
    () =>
      new WsPoolError(
        'WSPOOL_ERR_READ_TIMEOUT',
        `The request could not be sent within ${timeout} ms (the peer is not reading, so the send waited for room); no reply was read. Discard this connection, or raise the timeout.`,
      ),
  );
}
