/**
 * The handle `subscribe()` resolves with: one per call, stable for the subscription's life while
 * connections, server keys and endpoints change under it. It reads the subscriber's buffer in
 * order; at a gap it awaits `onGap` and yields what that returns, in place.
 * @module
 */
import { Pushed, SubscriberBuffer, EMPTY, GapMarker } from './buffer.js';
import { kCreate } from '../connection/internal.js';
import type { WsPoolError } from '../errors.js';
import type { GapFill, GapInfo, SubscriptionKey } from './types.js';

/** What a handle needs from whoever owns its server subscription. */
export interface SubscriberOwner {
  /** The subscriber leaves: the server subscription stops when it was the last. Never rejects. */
  leave(subscriber: Subscription<never>): Promise<void>;
  /** The current server key of the subscriber's server subscription. */
  keyOf(subscriber: Subscription<never>): SubscriptionKey | undefined;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * A live subscription: `for await (const item of sub)` yields its notifications in arrival order,
 * across connection loss (with `onGap` at the gap) and connection rotation. Leaving the loop early
 * (`break`, a throw), `unsubscribe()`, the `signal` and `pool.close()` end it; an overflow, the
 * server's end or a loss without `resubscribe` end it after the buffered items, with an error.
 *
 * @example
 * ```ts
 * await using heads = await rpc.subscribe<Head>('eth_subscribe', ['newHeads']);
 * for await (const head of heads) console.log(head.number);
 * ```
 */
export class Subscription<T> implements AsyncIterableIterator<T>, AsyncDisposable {
  /** Unique per `subscribe()` call, stable for the subscription's life. */
  readonly id: number;
  readonly #owner: SubscriberOwner;
  readonly #buffer: SubscriberBuffer;
  readonly #onGap: ((gap: GapInfo) => GapFill<T> | Promise<GapFill<T>>) | undefined;
  /** @internal Wants re-establishing after a loss. */
  readonly resubscribe: boolean;
  #resubscribes = 0;
  #lastKey: SubscriptionKey | undefined;
  #leaving: Promise<void> | undefined;
  /** Resolves when the iteration is ended at once: hooks in progress are raced against it. */
  #stopped: Promise<typeof DONE> | undefined;
  #resolveStopped: ((done: typeof DONE) => void) | undefined;
  #backfill: Iterator<T> | AsyncIterator<T> | undefined;
  #backfillAsync = false;

  /** @internal Handles are made by the pool's `subscribe()` only. */
  static [kCreate]<T>(
    id: number,
    owner: SubscriberOwner,
    buffer: SubscriberBuffer,
    resubscribe: boolean,
    onGap: ((gap: GapInfo) => GapFill<T> | Promise<GapFill<T>>) | undefined,
  ): Subscription<T> {
    return new Subscription<T>(id, owner, buffer, resubscribe, onGap);
  }

  private constructor(
    id: number,
    owner: SubscriberOwner,
    buffer: SubscriberBuffer,
    resubscribe: boolean,
    onGap: ((gap: GapInfo) => GapFill<T> | Promise<GapFill<T>>) | undefined,
  ) {
    this.id = id;
    this.#owner = owner;
    this.#buffer = buffer;
    this.resubscribe = resubscribe;
    this.#onGap = onGap;
  }

  /** The current server key (changes when the subscription is re-established or rotated). */
  get key(): SubscriptionKey | undefined {
    return this.#owner.keyOf(this as unknown as Subscription<never>) ?? this.#lastKey;
  }

  /** @internal It left its server subscription, whose key was `key`: kept for `key` from now on. */
  left(key: SubscriptionKey | undefined): void {
    this.#lastKey = key;
  }

  /** Re-establishments after a connection loss (rotations are not counted). */
  get resubscribes(): number {
    return this.#resubscribes;
  }

  /**
   * End the iteration now and leave; when this was the last subscriber of its server
   * subscription, the unsubscribe message is sent and its reply awaited (up to `requestTimeout`).
   * Never rejects: a failure goes to `onError` (phase `'unsubscribe'`). Idempotent.
   */
  unsubscribe(): Promise<void> {
    if (this.#leaving === undefined) {
      this.stop();
      this.#leaving = this.#owner.leave(this as unknown as Subscription<never>);
    }
    return this.#leaving;
  }

  /** `await using sub = await pool.subscribe(...)` unsubscribes at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.unsubscribe();
  }

  /** The subscription itself: `for await (const item of subscription)`. */
  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The next notification; `done` once the subscription ended. */
  next(): Promise<IteratorResult<T>> {
    // Fast path: a value is buffered and no backfill is in progress.
    if (this.#backfill === undefined) {
      const item = this.#buffer.take();
      if (item !== EMPTY && !(item instanceof GapMarker))
        return Promise.resolve({ done: false, value: item as T });
      return this.#slowNext(item);
    }
    return this.#slowNext(EMPTY);
  }

  /**
   * `break` or a throw in `for await` lands here: the subscription is left. Resolves at once; the
   * unsubscribe message goes out in the background.
   */
  return(): Promise<IteratorResult<T>> {
    void this.unsubscribe();
    return Promise.resolve(DONE);
  }

  /** @internal Deliver a notification. */
  push(value: unknown): Pushed {
    return this.#buffer.push(value);
  }

  /** @internal The server subscription was re-established after a loss: the gap goes in order. */
  resumed(info: GapInfo): void {
    this.#resubscribes++;
    this.#buffer.pushGap(info);
  }

  /** @internal End after the buffered items (with `error`, the iteration throws it then). */
  finish(error?: WsPoolError): void {
    this.#buffer.finish(error);
  }

  /** @internal End now (unsubscribe, abort, pool close). */
  stop(): void {
    this.#buffer.stop();
    this.#resolveStopped?.(DONE);
    const backfill = this.#backfill;
    this.#backfill = undefined;
    if (backfill?.return !== undefined) {
      // The user's iterator is closed in the background; its failure is not ours to raise.
      void Promise.resolve()
        .then(() => backfill.return?.())
        .catch(() => undefined);
    }
  }

  /** @internal Ended, one way or the other (nothing more will be pushed). */
  get ended(): boolean {
    return this.#buffer.ended;
  }

  async #slowNext(first: unknown): Promise<IteratorResult<T>> {
    let item = first;
    for (;;) {
      if (this.#backfill !== undefined) {
        const result = await this.#fromBackfill();
        if (result !== undefined) return result;
      } else if (item === EMPTY) {
        if (this.#buffer.ended) {
          const error = this.#buffer.error;
          if (error !== undefined) {
            // Raised once; then the iteration is over.
            this.#buffer.stop();
            throw error;
          }
          return DONE;
        }
        await this.#buffer.readable(); // bound: a push or the end (unsubscribe, close) always comes
      } else if (item instanceof GapMarker) {
        const fill = await this.#gapFill(item.info);
        if (fill === DONE) return DONE;
        this.#startBackfill(fill as GapFill<T>);
      } else {
        return { done: false, value: item as T };
      }
      item = this.#backfill === undefined ? this.#buffer.take() : EMPTY;
    }
  }

  /** Settles with {@link DONE} when the iteration is ended (made once, on first need). */
  #untilStopped(): Promise<typeof DONE> {
    return (this.#stopped ??= new Promise((resolve) => (this.#resolveStopped = resolve)));
  }

  /** Ended without an error and nothing left to read: the iteration is over. */
  #endedCleanly(): boolean {
    const buffer = this.#buffer;
    return buffer.ended && buffer.length === 0 && buffer.error === undefined;
  }

  /** `onGap`'s items, or {@link DONE} when the iteration was ended while it ran. */
  async #gapFill(info: GapInfo): Promise<GapFill<T> | typeof DONE> {
    const onGap = this.#onGap;
    if (onGap === undefined) return undefined;
    const stopped = this.#untilStopped();
    if (this.#endedCleanly()) return DONE;
    // Raced against the end: an unsubscribe or pool.close() never waits for a slow hook.
    return Promise.race([Promise.resolve(onGap(info)), stopped]);
  }

  #startBackfill(fill: GapFill<T>): void {
    if (fill === undefined || fill === null) return;
    const asyncIterable = (fill as AsyncIterable<T>)[Symbol.asyncIterator];
    if (typeof asyncIterable === 'function') {
      this.#backfill = asyncIterable.call(fill);
      this.#backfillAsync = true;
    } else {
      this.#backfill = (fill as Iterable<T>)[Symbol.iterator]();
      this.#backfillAsync = false;
    }
  }

  /** The next backfilled item, or `undefined` when the backfill is exhausted (or ended). */
  async #fromBackfill(): Promise<IteratorResult<T> | undefined> {
    const backfill = this.#backfill as Iterator<T> | AsyncIterator<T>;
    let result: IteratorResult<T> | typeof DONE;
    if (this.#backfillAsync) {
      result = await Promise.race([(backfill as AsyncIterator<T>).next(), this.#untilStopped()]);
      if (this.#backfill !== backfill) return DONE; // stopped meanwhile
    } else {
      result = (backfill as Iterator<T>).next();
    }
    if (result.done === true) {
      this.#backfill = undefined;
      return this.#endedCleanly() ? DONE : undefined;
    }
    return result;
  }
}
