/**
 * The inbound side of a connection: a FIFO of unread messages and a FIFO of waiting readers.
 *
 * Invariant: at most one of the two queues is non-empty. A message that finds a waiting reader is
 * handed to it directly; a reader that finds a message takes it at once. Concurrent reads are
 * therefore served in call order and no message is dropped or reordered.
 *
 * Bounding: when `limit` messages are queued the owner pauses the socket (TCP backpressure);
 * once reads drain the queue below the limit it resumes. Messages already parsed from the current
 * TCP chunk may still arrive after the pause, so the queue can exceed `limit` by at most one
 * chunk's worth of frames; it never grows without bound.
 */
import { monotonic } from '../clock.js';
import { WsPoolError } from '../errors.js';
import { DeadlineQueue, DeadlineTicket } from '../util/deadline-queue.js';
import { Deque } from '../util/deque.js';
import { invalidCallOptions } from '../util/validate.js';
import { LinkedList, type ListNode } from '../util/linked-list.js';

/** An inbound message: text frames as `string`, binary frames as bytes (a `Buffer`, which is a `Uint8Array`). */
export type Message = string | Uint8Array;

/** Options of every read. */
export interface ReadOptions {
  /** Cancels the read; it rejects with `signal.reason` and consumes nothing. */
  signal?: AbortSignal;
  /** Ms to wait for a message; then `WSPOOL_ERR_READ_TIMEOUT`, nothing consumed. No limit by default. */
  timeout?: number;
}

/** What a read expects. */
export const enum ReadKind {
  Any,
  Text,
  Binary,
  Json,
}

export const kInboxFull = Symbol('wspool.inboxFull');
export const kInboxDrained = Symbol('wspool.inboxDrained');
export const kInboxDiscarded = Symbol('wspool.inboxDiscarded');

/**
 * Callbacks into the owner, as symbol-keyed methods the owner (a Connection) implements itself:
 * no callback object or closures per connection, which matters for memory with many idle sockets.
 */
export interface InboxOwner {
  /** The queue reached its limit: pause the socket. */
  [kInboxFull](): void;
  /** The queue fell below its limit: resume the socket. */
  [kInboxDrained](): void;
  /** A message arrived while discarding (an idle pooled connection). */
  [kInboxDiscarded](): void;
}

interface Reader extends ListNode {
  kind: ReadKind;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  deadline: DeadlineTicket<Reader> | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class Inbox {
  readonly #messages = new Deque<Message>(4); // grows by doubling; most inboxes hold 0–1
  readonly #readers = new LinkedList<Reader>();
  readonly #limit: number;
  readonly #owner: InboxOwner;
  /**
   * The oldest waiting reader, when it is a plain one (no signal, no timeout) that found no other
   * reader waiting: the usual single reader of a connection, served without a list node.
   * Invariant: while set, it is older than every reader on `#readers`.
   */
  #soloResolve: ((value: unknown) => void) | undefined = undefined;
  #soloReject: ((error: unknown) => void) | undefined = undefined;
  #soloKind: ReadKind = ReadKind.Any;
  #full = false;
  #discarding = false;
  #closedError: WsPoolError | undefined;
  /** Read timeouts, all on one timer; made by the first read with a timeout. */
  #deadlines: DeadlineQueue<DeadlineTicket<Reader>> | undefined;

  constructor(limit: number, owner: InboxOwner) {
    this.#limit = limit;
    this.#owner = owner;
  }

  /** Unread messages. */
  get length(): number {
    return this.#messages.length;
  }

  /** Waiting readers. */
  get readers(): number {
    return this.#readers.length + (this.#soloResolve === undefined ? 0 : 1);
  }

  /** While on, arriving messages are dropped and reported to the owner (idle pooled connections). */
  set discarding(on: boolean) {
    this.#discarding = on;
  }

  /** A message from the socket. */
  push(message: Message): void {
    if (this.#discarding) {
      this.#owner[kInboxDiscarded]();
      return;
    }
    const solo = this.#soloResolve;
    if (solo !== undefined) {
      const reject = this.#soloReject as (error: unknown) => void;
      this.#soloResolve = this.#soloReject = undefined;
      settle(this.#soloKind, message, solo, reject);
      return;
    }
    const reader = this.#readers.shift();
    if (reader) {
      this.#detach(reader);
      settle(reader.kind, message, reader.resolve, reader.reject);
      return;
    }
    this.#messages.push(message);
    if (!this.#full && this.#messages.length >= this.#limit) {
      this.#full = true;
      this.#owner[kInboxFull]();
    }
  }

  /** The next message, converted for `kind`. */
  read(kind: ReadKind, options?: ReadOptions): Promise<unknown> {
    if (options !== undefined) {
      // Checked before anything is consumed: a bad option must not cost the caller a message.
      const invalid = invalidCallOptions(options, true);
      if (invalid) return Promise.reject(invalid);
    }
    // An already-aborted signal wins over a queued message: the read must consume nothing (the
    // platform convention, as fetch() does), else the message would be lost to a caller that gave up.
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    if (this.#messages.length > 0) {
      const message = this.#messages.shift() as Message;
      if (this.#full && this.#messages.length < this.#limit) {
        this.#full = false;
        this.#owner[kInboxDrained]();
      }
      try {
        return Promise.resolve(convert(kind, message));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    if (this.#closedError) return Promise.reject(this.#closedError);
    const timeout = options?.timeout;
    if (
      signal === undefined &&
      (timeout === undefined || timeout === Infinity) &&
      this.#soloResolve === undefined &&
      this.#readers.length === 0
    ) {
      return new Promise((resolve, reject) => {
        this.#soloResolve = resolve;
        this.#soloReject = reject;
        this.#soloKind = kind;
      });
    }
    return new Promise((resolve, reject) => {
      const reader: Reader = {
        prev: null,
        next: null,
        list: null,
        kind,
        resolve,
        reject,
        deadline: undefined,
        signal,
        onAbort: undefined,
      };
      if (timeout !== undefined && timeout !== Infinity) {
        const start = monotonic();
        reader.deadline = new DeadlineTicket(reader, start + timeout, timeout);
        (this.#deadlines ??= new DeadlineQueue((entry) => this.#timedOut(entry))).watch(
          reader.deadline,
          start,
        );
      }
      if (signal) {
        reader.onAbort = () => {
          this.#readers.remove(reader);
          this.#detach(reader);
          reject(signal.reason);
        };
        signal.addEventListener('abort', reader.onAbort, { once: true });
      }
      this.#readers.push(reader);
    });
  }

  /** The socket closed: waiting readers reject now; queued messages stay readable, then reads reject. */
  close(error: WsPoolError): void {
    this.#closedError = error;
    this.cancelReaders(error);
    this.#deadlines?.stop();
  }

  /** Reject every waiting reader with `error` (the borrower released its handle); the inbox stays open. */
  cancelReaders(error: WsPoolError): void {
    const solo = this.#soloReject;
    if (solo !== undefined) {
      this.#soloResolve = this.#soloReject = undefined;
      solo(error);
    }
    for (let reader = this.#readers.shift(); reader; reader = this.#readers.shift()) {
      this.#detach(reader);
      reader.reject(error);
    }
  }

  /** Hand every unread message to `handler`, oldest first (a multiplexed pool takes the socket over). */
  drainTo(handler: (message: Message) => void): void {
    while (this.#messages.length > 0) handler(this.#messages.shift() as Message);
    if (this.#full) {
      this.#full = false;
      this.#owner[kInboxDrained]();
    }
  }

  /** Drop every unread message (stale replies at release); returns how many. */
  discardAll(): number {
    const count = this.#messages.length;
    while (this.#messages.length > 0) this.#messages.shift();
    if (this.#full) {
      this.#full = false;
      this.#owner[kInboxDrained]();
    }
    return count;
  }

  /** A timed read's deadline passed: it rejects and consumes nothing. */
  #timedOut(entry: DeadlineTicket<Reader>): void {
    const reader = entry.holder;
    this.#readers.remove(reader);
    reader.deadline = undefined; // the queue already let go of it
    this.#detach(reader);
    reader.reject(
      new WsPoolError(
        'WSPOOL_ERR_READ_TIMEOUT',
        `No message arrived within ${entry.timeout} ms; nothing was consumed. Read again, or raise the read timeout.`,
      ),
    );
  }

  /** Drop what a waiting reader holds besides its promise: its deadline and its abort listener. */
  #detach(reader: Reader): void {
    if (reader.deadline !== undefined) {
      this.#deadlines?.unwatch(reader.deadline);
      reader.deadline = undefined;
    }
    if (reader.onAbort) reader.signal?.removeEventListener('abort', reader.onAbort);
    reader.onAbort = undefined;
  }
}

/** Hand `message`, converted for `kind`, to a reader; a conversion error rejects it instead. */
function settle(
  kind: ReadKind,
  message: Message,
  resolve: (value: unknown) => void,
  reject: (error: unknown) => void,
): void {
  let value: unknown;
  try {
    value = convert(kind, message);
  } catch (error) {
    reject(error);
    return;
  }
  resolve(value);
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Convert a message for a read kind; a mismatch throws with the consumed message as `data`. */
export function convert(kind: ReadKind, message: Message): unknown {
  switch (kind) {
    case ReadKind.Any:
      return message;
    case ReadKind.Text:
      if (typeof message === 'string') return message;
      throw new WsPoolError(
        'WSPOOL_ERR_UNEXPECTED_MESSAGE_TYPE',
        'readMessage() expected a text message but a binary one arrived; it is in error.data. Use read() to accept both.',
        { data: message },
      );
    case ReadKind.Binary:
      if (typeof message !== 'string') return message;
      throw new WsPoolError(
        'WSPOOL_ERR_UNEXPECTED_MESSAGE_TYPE',
        'readBinary() expected a binary message but a text one arrived; it is in error.data. Use read() to accept both.',
        { data: message },
      );
    case ReadKind.Json: {
      // JSON is accepted in text frames and, UTF-8 encoded, in binary frames (some servers send it so).
      let text: string;
      try {
        text = typeof message === 'string' ? message : decoder.decode(message);
      } catch (cause) {
        throw new WsPoolError(
          'WSPOOL_ERR_INVALID_JSON',
          'readJSON() got a binary message that is not UTF-8 text; it is in error.data.',
          { data: message, cause },
        );
      }
      try {
        return JSON.parse(text) as unknown;
      } catch (cause) {
        throw new WsPoolError(
          'WSPOOL_ERR_INVALID_JSON',
          'readJSON() got a message that is not valid JSON; it is in error.data. Use readMessage() for non-JSON payloads.',
          { data: message, cause },
        );
      }
    }
  }
}
