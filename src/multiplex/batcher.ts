/**
 * Automatic JSON-RPC batching (the `batch` option of `JsonRpcPool`): calls and notifications
 * issued close together leave as one JSON-RPC 2.0 batch frame (an array), on one connection.
 *
 *     call() ─▶ id, deadline, slot on a connection (as unbatched) ─▶ open batch ─┬─ maxSize reached ─▶ sent now
 *                                                                               ├─ another connection chosen ─▶ sent now
 *                                                                               └─ end of the turn / `wait` ms ─▶ sent
 *
 * Each call keeps everything it has without batching: its own correlation id, deadline, abort
 * listener and slot in its connection's in-flight count. The batch only delays the write and
 * joins the frames, so a reply is matched by id whichever way it comes back: one array (any
 * order), separate frames, or a mix. A call that settles before the batch goes out (timeout,
 * abort, its connection lost, the pool closed) is left out of the frame: it is never sent.
 *
 * One batch is open at a time. A call joins it while the batch's connection has room; when it
 * has none, the pool's least-loaded choice picks another connection and the open batch is sent
 * first. Batches therefore stay whole, and consecutive batches spread over the connections.
 * @module
 */
import { kSendNow } from '../connection/internal.js';
import { startTimer, stopTimer, type Timer } from '../clock.js';
import { connectionClosedError, invalidConfig } from '../errors.js';
import { checkDuration, checkInteger, checkKnownKeys } from '../util/validate.js';
import type { Channel } from './channel.js';
import { RequestState, type PendingRequest } from './pending.js';

/** The `batch` option of `JsonRpcPool` in its object form. */
export interface BatchOptions {
  /**
   * Most entries (calls and notifications) in one batch frame; a full batch is sent at once.
   * @default 100
   */
  maxSize?: number;
  /**
   * Ms a batch waits for more entries after its first one. `0` sends it at the end of the
   * current event-loop turn (after the synchronous code and its promise callbacks have run).
   * @default 0
   */
  wait?: number;
}

/** The resolved `batch` option. */
export interface ResolvedBatch {
  readonly maxSize: number;
  readonly wait: number;
}

/** Defaults of {@link BatchOptions}. */
export const BATCH_DEFAULTS = { maxSize: 100, wait: 0 } as const;

const BATCH_KEYS: ReadonlySet<string> = new Set(['maxSize', 'wait']);

/**
 * Validate the `batch` option: `undefined` or `false` is off, `true` the defaults, an object its
 * fields. Throws `WSPOOL_ERR_INVALID_CONFIG` naming the field (`batch`, `batch.maxSize`, `batch.wait`).
 */
export function resolveBatchOption(value: unknown): ResolvedBatch | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return BATCH_DEFAULTS;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidConfig('batch', 'a boolean or an object { maxSize?, wait? }', value);
  }
  checkKnownKeys('batch', value, BATCH_KEYS);
  const { maxSize, wait } = value as BatchOptions;
  return {
    maxSize: maxSize === undefined ? BATCH_DEFAULTS.maxSize : checkInteger('batch.maxSize', maxSize, 1),
    wait: wait === undefined ? BATCH_DEFAULTS.wait : checkDuration('batch.wait', wait, { allowZero: true }),
  };
}

/**
 * What `decode` makes of an array of responses to batched calls: the parsed array itself, taken
 * apart by {@link each} as the pool settles the calls (no object per entry). Its own `id` (-1) is
 * never a request's, so the pool's lookup misses and it handles the list there, off the path of
 * single replies.
 */
export class ReplyList {
  readonly id = -1;
  readonly ok = true;
  constructor(readonly value: readonly unknown[]) {}

  /**
   * `answer(id, ok, resultOrError)` for every entry that answers a numeric id, in order. Entries
   * without one (an `id: null` error for an entry the server could not read) match no call.
   */
  each(answer: (id: number, ok: boolean, payload: unknown) => void): void {
    for (const response of this.value) {
      if (typeof response !== 'object' || response === null) continue;
      const { id, result, error } = response as { id?: unknown; result?: unknown; error?: unknown };
      if (typeof id !== 'number') continue;
      if (error !== undefined && error !== null) answer(id, false, error);
      else answer(id, true, result);
    }
  }
}

/**
 * `responses` (a parsed array) as the replies to batched calls when an entry answers a numeric id,
 * or `undefined` when none does (then the array is not ours: a push). Replies to one batch frame
 * all carry numeric ids, so the first entry usually decides.
 */
export function decodeReplyList(responses: readonly unknown[]): ReplyList | undefined {
  for (const response of responses) {
    if (
      typeof response === 'object' &&
      response !== null &&
      typeof (response as { id?: unknown }).id === 'number'
    )
      return new ReplyList(responses);
  }
  return undefined;
}

/** A promise for the write of a batch that carries notifications (they resolve once written). */
class Written {
  readonly promise: Promise<void>;
  resolve!: () => void;
  reject!: (error: unknown) => void;
  constructor() {
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

/**
 * The open batch of one pool, and how it is flushed. Frames are the codec's JSON text, one per
 * entry; a batch of one entry goes out as that entry alone (no array).
 */
export class Batcher {
  readonly #maxSize: number;
  readonly #wait: number;
  /** The connection of the open batch, `null` while none is open. */
  #channel: Channel | null = null;
  /** The open batch's calls, by entry; `null` for a notification (always sent). */
  #requests: (PendingRequest | null)[] = [];
  #frames: string[] = [];
  /** Set once a notification joined the open batch. */
  #written: Written | undefined;
  /** A flush is scheduled (`#immediate` or `#timer`). */
  #scheduled = false;
  #timer: Timer | undefined;
  /**
   * The end-of-turn flush (`wait: 0`). `setImmediate`, not a microtask: it runs after the promise
   * callbacks of every frame this turn's poll delivered, so calls that replies on several
   * connections set off share one batch (measured: larger batches, less CPU per call).
   */
  #immediate: ReturnType<typeof setImmediate> | undefined;
  readonly #flush = (): void => {
    this.#scheduled = false;
    this.#timer = undefined;
    this.#immediate = undefined;
    this.flush();
  };

  constructor(options: ResolvedBatch) {
    this.#maxSize = options.maxSize;
    this.#wait = options.wait;
  }

  /**
   * The open batch's connection, if a call can join it: open, accepting and with fewer than
   * `limit` in flight. Otherwise `undefined` (the pool then makes its least-loaded choice).
   */
  channel(limit: number): Channel | undefined {
    const channel = this.#channel;
    if (channel === null || !channel.accepting || channel.inFlight >= limit || !channel.conn.isOpen)
      return undefined;
    return channel;
  }

  /**
   * Whether `frame` can join a batch: JSON text of one object. A `callBatch` frame (already an
   * array) is sent on its own.
   */
  accepts(frame: string | Uint8Array): frame is string {
    return typeof frame === 'string' && frame.charCodeAt(0) === 0x7b; // '{'
  }

  /** Add a sent call (in the registry, counted on `channel`) to the batch for `channel`. */
  add(channel: Channel, request: PendingRequest, frame: string): void {
    this.#open(channel);
    this.#requests.push(request);
    this.#frames.push(frame);
    this.#filled();
  }

  /** Add a notification; resolves once the batch is written (as `send()` does for one frame). */
  addOneWay(channel: Channel, frame: string): Promise<void> {
    this.#open(channel);
    const written = (this.#written ??= new Written());
    this.#requests.push(null);
    this.#frames.push(frame);
    this.#filled();
    return written.promise;
  }

  /** Send the open batch now, leaving out calls that settled meanwhile. */
  flush(): void {
    const channel = this.#channel;
    if (channel === null) return;
    const requests = this.#requests;
    const frames = this.#frames;
    const written = this.#written;
    this.#channel = null;
    this.#requests = [];
    this.#frames = [];
    this.#written = undefined;
    if (this.#timer !== undefined) {
      stopTimer(this.#timer);
      this.#timer = undefined;
      this.#scheduled = false;
    }
    const live = liveFrames(requests, frames);
    if (live.length === 0) {
      written?.resolve();
      return;
    }
    const frame = live.length === 1 ? (live[0] as string) : `[${live.join(',')}]`;
    const pacer = channel.pacer;
    if (pacer === undefined || pacer.tryTake()) writeBatch(channel, frame, written);
    else {
      // maxSendRate: the batch waits its turn like any frame (its calls keep their deadlines).
      pacer.wait((go) => {
        if (go) writeBatch(channel, frame, written);
        else written?.reject(connectionClosedError(1006, 'closed before the batch could be sent'));
      });
    }
    // Otherwise the socket's close has begun: its close event fails these calls at once, as it
    // does the ones already sent on it (bound: the socket's own close).
  }

  /**
   * The pool is closing: nothing more is sent. Its calls were already failed by the pool;
   * notifications still waiting reject with `error`. Idempotent.
   */
  stop(error: unknown): void {
    stopTimer(this.#timer);
    this.#timer = undefined;
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#immediate = undefined;
    this.#scheduled = false;
    this.#written?.reject(error);
    this.#channel = null;
    this.#requests = [];
    this.#frames = [];
    this.#written = undefined;
  }

  /** Make `channel` the open batch's connection, sending a batch open on another one first. */
  #open(channel: Channel): void {
    if (this.#channel === channel) return;
    if (this.#channel !== null) this.flush();
    this.#channel = channel;
  }

  #filled(): void {
    if (this.#frames.length >= this.#maxSize) {
      this.flush();
      return;
    }
    if (this.#scheduled) return;
    this.#scheduled = true;
    if (this.#wait > 0) this.#timer = startTimer(this.#flush, this.#wait);
    else this.#immediate = setImmediate(this.#flush);
  }
}

/** The frames of the entries still worth sending: notifications, and calls not yet settled. */
function liveFrames(requests: readonly (PendingRequest | null)[], frames: string[]): string[] {
  let live: string[] | undefined;
  for (let i = 0; i < requests.length; i++) {
    const request = requests[i];
    if (request === null || request === undefined || request.state !== RequestState.Done) {
      live?.push(frames[i] as string);
    } else {
      live ??= frames.slice(0, i);
    }
  }
  return live ?? frames;
}

/** Write one batch frame: with a promise when notifications wait for it to be written. */
function writeBatch(channel: Channel, frame: string, written: Written | undefined): void {
  if (written !== undefined) {
    // Rejects on its own when the socket is gone; the calls then fail with its close.
    channel.conn.send(frame).then(written.resolve, written.reject);
  } else if (channel.conn.isOpen) {
    channel.conn[kSendNow](frame);
  }
}
