/**
 * A pending `acquire()`: either queued for a resource somebody will release, or waiting on the
 * create it started itself. The waiter owns its promise, its deadline (an entry in its pool's
 * deadline queue, not a timer of its own) and its abort listener, and drops the last two on every
 * way it can settle, so nothing outlives it.
 *
 * @module
 */
import { monotonic } from '../clock.js';
import { WsPoolError } from '../errors.js';
import { DeadlineTicket, type DeadlineQueue } from '../util/deadline-queue.js';
import type { LinkedList, ListNode } from '../util/linked-list.js';
import type { Lender } from './lender.js';
import type { Resource } from './resource.js';

/**
 * What a {@link Waiter} reports to when it gives up by itself. The pool must take the waiter off
 * whatever list holds it and then reject it.
 */
export interface WaiterHost<T> {
  /** The waiter's `signal` fired. */
  aborted(waiter: Waiter<T>, reason: unknown): void;
  /** The waiter's `timeout` elapsed. */
  timedOut(waiter: Waiter<T>): void;
}

/**
 * One pending acquire. It sits on at most one list at a time: the pool's wait queue (FIFO), or
 * the list of acquires waiting on their own create. Being a {@link ListNode} makes leaving either
 * list O(1) when it is aborted or times out.
 *
 * Used as its own abort listener (`handleEvent`), so waiting costs no closure for the signal.
 */
export class Waiter<T> implements ListNode {
  prev: ListNode | null = null;
  next: ListNode | null = null;
  list: LinkedList<ListNode> | null = null;

  /** `now()` (epoch ms) when `acquire()` was called, for the wait-time statistics. */
  readonly startedAt: number;
  /** The timeout the caller asked for (ms, possibly `Infinity`), for the timeout error's message. */
  readonly timeout: number;
  /**
   * Settles exactly once: with the resource (or what the lender made of it), or with the reason
   * this acquire failed. The pool casts it to the type its caller expects.
   */
  readonly promise: Promise<unknown>;

  #resolve!: (value: unknown) => void;
  #reject!: (error: unknown) => void;
  #settled = false;
  #host: WaiterHost<T>;
  #signal: AbortSignal | undefined;
  #deadline: DeadlineTicket<Waiter<T>> | undefined;
  #deadlines: DeadlineQueue<DeadlineTicket<Waiter<T>>> | undefined;
  readonly #lender: Lender<T, unknown, unknown> | undefined;
  readonly #context: unknown;
  /** Made only for an acquire that starts a create (see {@link Waiter.gaveUpSignal}). */
  #gaveUp: AbortController | undefined;

  /** `lender` (with `context`) turns the resource into the promise's value at hand-over. */
  constructor(
    host: WaiterHost<T>,
    startedAt: number,
    timeout: number,
    lender?: Lender<T, unknown, unknown>,
    context?: unknown,
  ) {
    this.#host = host;
    this.startedAt = startedAt;
    this.timeout = timeout;
    this.#lender = lender;
    this.#context = context;
    this.promise = new Promise<unknown>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** True once resolved or rejected; later settle attempts are ignored. */
  get settled(): boolean {
    return this.#settled;
  }

  /**
   * Start listening to `signal` and put the deadline (`timeout` ms from now; `Infinity` = none) on
   * the pool's `deadlines`, which reports expiry through {@link WaiterHost.timedOut}. Called once
   * the waiter is on its list, so a callback that fires finds it there. The caller has checked that
   * `signal` is not aborted yet.
   */
  arm(
    signal: AbortSignal | undefined,
    timeout: number,
    deadlines: DeadlineQueue<DeadlineTicket<Waiter<T>>>,
  ): void {
    if (signal !== undefined) {
      this.#signal = signal;
      signal.addEventListener('abort', this, { once: true });
    }
    if (timeout !== Infinity) {
      const start = monotonic();
      this.#deadline = new DeadlineTicket(this, start + timeout, timeout);
      this.#deadlines = deadlines;
      deadlines.watch(this.#deadline, start);
    }
  }

  /** Abort listener (the `EventListenerObject` protocol). */
  handleEvent(): void {
    if (!this.#settled && this.#signal !== undefined) this.#host.aborted(this, this.#signal.reason);
  }

  /**
   * Hand over a resource the waiter waited `waitedMs` for: through the lender if there is one.
   * Returns false (and does nothing) if already settled.
   */
  resolve(resource: Resource<T>, waitedMs: number): boolean {
    if (this.#settled) return false;
    this.#settle();
    const lender = this.#lender;
    if (lender === undefined) this.#resolve(resource);
    else this.#resolve(lend(lender, resource, waitedMs, this.#context));
    return true;
  }

  /**
   * A signal that aborts (with the rejection's reason) when this acquire stops waiting without a
   * resource: handed to the create it starts, so work done only for it can stop. Made on first use;
   * only acquires that start a create ask for it.
   */
  gaveUpSignal(): AbortSignal {
    this.#gaveUp ??= new AbortController();
    return this.#gaveUp.signal;
  }

  /** Fail the acquire. Returns false (and does nothing) if already settled. */
  reject(error: unknown): boolean {
    if (this.#settled) return false;
    this.#settle();
    this.#reject(error);
    this.#gaveUp?.abort(error);
    return true;
  }

  /** Give up (signal or timeout): reject, and tell the lender. False if already settled. */
  cancel(reason: unknown): boolean {
    if (!this.reject(reason)) return false;
    this.#lender?.canceled(this.#context);
    return true;
  }

  #settle(): void {
    this.#settled = true;
    if (this.#deadline !== undefined) {
      this.#deadlines?.unwatch(this.#deadline);
      this.#deadline = undefined;
    }
    if (this.#signal !== undefined) {
      this.#signal.removeEventListener('abort', this);
      this.#signal = undefined;
    }
  }
}

/**
 * Run `lender.lend`, turning a throw into a rejected promise (and the resource, in an unknown
 * state, into a destroyed one) so a faulty lender cannot break the pool path that handed over.
 */
export function lend<T>(
  lender: Lender<T, unknown, unknown>,
  resource: Resource<T>,
  waitedMs: number,
  context: unknown,
): unknown {
  try {
    return lender.lend(resource, waitedMs, context);
  } catch (error) {
    resource.destroy();
    return Promise.reject(error);
  }
}

/**
 * The rejection of an acquire whose `timeout` elapsed; `cause` is the last create error, if any.
 * The core is generic, but its only user pools connections: its messages say so, in the words
 * the user configured (`maxConns`, `acquireTimeout`).
 */
export function acquireTimeoutError(timeout: number, maxSize: number, lastCreateError: unknown): WsPoolError {
  if (lastCreateError !== undefined) {
    return new WsPoolError(
      'WSPOOL_ERR_ACQUIRE_TIMEOUT',
      `No connection within ${timeout} ms: the last attempt to open one failed (see cause). Check that the server is reachable and accepts WebSocket connections.`,
      { cause: lastCreateError },
    );
  }
  const hint =
    'Release connections sooner (or use withConnection), raise maxConns or the acquire timeout, or shed load.';
  return new WsPoolError(
    'WSPOOL_ERR_ACQUIRE_TIMEOUT',
    timeout === 0
      ? `No idle connection, and all ${maxSize} connections (maxConns) are in use; timeout 0 never waits. ${hint}`
      : `No connection became free within ${timeout} ms: all ${maxSize} connections (maxConns) are in use. ${hint}`,
  );
}

/** The rejection of an acquire that would queue behind `maxWaiting` others. */
export function poolExhaustedError(maxWaiting: number): WsPoolError {
  return new WsPoolError(
    'WSPOOL_ERR_POOL_EXHAUSTED',
    `Too many acquires are already waiting for a connection (maxWaiting = ${maxWaiting}): shed load, release connections sooner, or raise maxWaiting or maxConns.`,
  );
}
