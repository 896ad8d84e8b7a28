/**
 * One subscriber's notifications between the socket and its `for await`: bounded, in arrival
 * order, never blocking the socket. A slow consumer only ever fills its own buffer; what happens
 * then is its `overflow` policy, so other subscriptions and requests on the same connection never
 * wait for it and memory stays at `bufferSize` items per subscriber.
 *
 * Besides values the buffer holds gap markers (a re-subscribe after a loss), which do not count
 * toward `bufferSize`, and an end: either "after what is buffered" (an error end: overflow, the
 * server's end, a lost connection) or "now" (unsubscribe, break, abort, pool close).
 * @module
 */
import type { WsPoolError } from '../errors.js';
import { Deque } from '../util/deque.js';
import { overflowError } from './errors.js';
import type { GapInfo } from './types.js';

/** A gap in the stream, in place: the iterator awaits `onGap` when it reaches it. */
export class GapMarker {
  constructor(readonly info: GapInfo) {}
}

/** What {@link SubscriberBuffer.push} did with a value. */
export const enum Pushed {
  Kept,
  /** Kept, and the oldest value dropped to make room (`'drop-oldest'`). */
  DroppedOldest,
  /** Not kept: the buffer was full (`'error'`); the buffer now ends with an overflow after what it holds. */
  Overflowed,
  /** Not kept: the buffer has ended. */
  Ignored,
}

/** {@link SubscriberBuffer.take} found nothing. */
export const EMPTY: unique symbol = Symbol('wspool.empty');

export class SubscriberBuffer {
  /** Created by the first push: an idle subscription costs no ring. */
  #items: Deque<unknown> | undefined;
  readonly #size: number;
  readonly #dropOldest: boolean;
  /** Values held (gap markers excluded). */
  #values = 0;
  /** Ended: no more pushes; reads see what is left, then `error` (or the end). */
  #ended = false;
  #error: WsPoolError | undefined;
  #wake: (() => void) | undefined;

  constructor(size: number, dropOldest: boolean) {
    this.#size = size;
    this.#dropOldest = dropOldest;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Items waiting to be read (gap markers included). */
  get length(): number {
    return this.#items === undefined ? 0 : this.#items.length;
  }

  push(value: unknown): Pushed {
    if (this.#ended) return Pushed.Ignored;
    let result = Pushed.Kept;
    if (this.#values >= this.#size) {
      if (!this.#dropOldest) {
        this.finish(overflowError(this.#size));
        return Pushed.Overflowed;
      }
      this.#dropOldestValue();
      result = Pushed.DroppedOldest;
    }
    (this.#items ??= new Deque<unknown>(4)).push(value);
    this.#values++;
    this.#signal();
    return result;
  }

  pushGap(info: GapInfo): void {
    if (this.#ended) return;
    (this.#items ??= new Deque<unknown>(4)).push(new GapMarker(info));
    this.#signal();
  }

  /** End once what is buffered has been read; with `error`, reading then throws it. First end wins. */
  finish(error?: WsPoolError): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    this.#signal();
  }

  /** End now: what is buffered is discarded and reading reports the end at once. */
  stop(): void {
    this.#items = undefined;
    this.#values = 0;
    this.#ended = true;
    this.#error = undefined;
    this.#signal();
  }

  /** The next item (a value or a {@link GapMarker}), or {@link EMPTY}. */
  take(): unknown {
    const items = this.#items;
    if (items === undefined || items.length === 0) return EMPTY;
    const item = items.shift();
    if (!(item instanceof GapMarker)) this.#values--;
    return item;
  }

  /** The error to raise once empty and ended (`undefined`: a plain end). */
  get error(): WsPoolError | undefined {
    return this.#error;
  }

  /** Resolves at the next push or end. Bound: the subscription's end (unsubscribe, close) always comes. */
  readable(): Promise<void> {
    return new Promise<void>((resolve) => {
      const previous = this.#wake;
      // Concurrent readers (two `next()` calls) all wake; each re-checks the buffer.
      this.#wake = previous === undefined ? resolve : () => (previous(), resolve());
    });
  }

  #signal(): void {
    const wake = this.#wake;
    if (wake === undefined) return;
    this.#wake = undefined;
    wake();
  }

  /** Drop the oldest value; gap markers ahead of it stay (they mark where the stream broke). */
  #dropOldestValue(): void {
    const items = this.#items as Deque<unknown>; // full, so it exists
    const kept: GapMarker[] = [];
    for (;;) {
      const item = items.shift();
      if (item instanceof GapMarker) kept.push(item);
      else break;
    }
    this.#values--;
    // Markers sat at the head; put them back in order (rare: only while a gap is unread).
    if (kept.length > 0) {
      const rest = items.drain();
      for (const marker of kept) items.push(marker);
      for (const item of rest) items.push(item);
    }
  }
}
