/**
 * The pending-request registry of a multiplexed pool: requests in flight by correlation id (one
 * `Map`, O(1) on every path) and the pool's one deadline mechanism, a {@link DeadlineQueue}: no
 * timer per request, each request is its own node on its timeout's lane.
 * @module
 */
import { DeadlineQueue, type Timed } from '../util/deadline-queue.js';
import type { LinkedList, ListNode } from '../util/linked-list.js';
import type { Channel } from './channel.js';

/** Where a request is in its life. */
export const enum RequestState {
  /** Waiting in the pool's queue for room on a connection; no id yet. */
  Queued,
  /** Sent; in the registry under its id, counted in its channel's `inFlight`. */
  InFlight,
  /** Settled (answered, failed, timed out, aborted); in no structure any more. */
  Done,
}

/** The pool's side of a pending request: what an abort and a deadline call back into. */
export interface PendingOwner {
  /** The request's signal fired. */
  aborted(request: PendingRequest): void;
}

/**
 * One request from `request()` (or a `send()` that had to wait) until it settles. It is its own
 * node on its deadline lane and its own abort listener (`handleEvent`): no timer, no listener
 * closure and no list node per request, only this object and its promise.
 */
export class PendingRequest implements Timed {
  /** Correlation id, assigned when sent (0 while queued). */
  id = 0;
  state = RequestState.Queued;
  /** The request, kept until it is encoded (at send time, when its id is known). */
  req: unknown;
  /** A queued `send()`: no id, no reply, resolves once written. */
  readonly oneWay: boolean;
  /** Monotonic ms of the call: deadlines and durations count from here. */
  readonly start: number;
  readonly timeout: number;
  /** `start + timeout` (monotonic ms); `Infinity` when there is no timeout. */
  readonly deadline: number;
  /** The connection it was sent on. */
  channel: Channel | null = null;
  /** Its node in the pool's wait queue while queued. */
  queued: QueueNode | null = null;
  readonly signal: AbortSignal | undefined;
  readonly owner: PendingOwner;
  resolve!: (value: unknown) => void;
  reject!: (error: unknown) => void;
  // Deadline-lane links (ListNode).
  prev: ListNode | null = null;
  next: ListNode | null = null;
  list: LinkedList<ListNode> | null = null;

  constructor(
    owner: PendingOwner,
    req: unknown,
    oneWay: boolean,
    start: number,
    timeout: number,
    signal: AbortSignal | undefined,
  ) {
    this.owner = owner;
    this.req = req;
    this.oneWay = oneWay;
    this.start = start;
    this.timeout = timeout;
    this.deadline = start + timeout;
    this.signal = signal;
  }

  /** The abort listener (an object listener: no closure per request). */
  handleEvent(): void {
    this.owner.aborted(this);
  }
}

/** A queued request's node in the pool's FIFO (kept apart from the deadline-lane links). */
export class QueueNode implements ListNode {
  prev: ListNode | null = null;
  next: ListNode | null = null;
  list: LinkedList<ListNode> | null = null;
  constructor(readonly request: PendingRequest) {}
}

/** Largest correlation id before wrapping to 1: ids stay small integers, the fastest `Map` keys. */
const MAX_ID = 0x7fffffff;

/** Requests in flight by id, and the deadlines of every pending request (queued ones included). */
export class PendingRegistry {
  readonly #byId = new Map<number, PendingRequest>();
  readonly #deadlines: DeadlineQueue<PendingRequest>;
  readonly #maxId: number;
  #lastId = 0;
  /** Set once ids wrapped: from then on a new id must be checked against the live ones. */
  #wrapped = false;

  /**
   * @param defaultTimeout the pool's `requestTimeout`; its deadline lane is kept even when empty.
   * @param onExpire called for each request whose deadline passed, after it left the registry.
   * @param maxId largest id before wrapping to 1 (lowered by tests to reach the wrap).
   */
  constructor(defaultTimeout: number, onExpire: (request: PendingRequest) => void, maxId = MAX_ID) {
    this.#deadlines = new DeadlineQueue<PendingRequest>((request) => {
      this.#byId.delete(request.id); // a no-op for a queued request (id 0 is never used)
      onExpire(request);
    }, defaultTimeout);
    this.#maxId = maxId;
  }

  /** Requests in flight (sent, not answered). */
  get size(): number {
    return this.#byId.size;
  }

  /** Requests with a deadline being watched (queued or in flight, with a finite timeout). For leak checks. */
  get watched(): number {
    return this.#deadlines.size;
  }

  /** The in-flight requests, for failing those of a closed connection or of a closing pool. */
  values(): IterableIterator<PendingRequest> {
    return this.#byId.values();
  }

  /** Start the request's deadline (at the call: the timeout counts time spent queued). */
  watch(request: PendingRequest): void {
    if (request.timeout !== Infinity) this.#deadlines.watch(request, request.start);
  }

  /** A fresh correlation id, unique among the requests in flight; {@link add} must follow. */
  nextId(): number {
    let id = this.#lastId + 1;
    if (id > this.#maxId) {
      id = 1;
      this.#wrapped = true;
    }
    // After 2^31 requests an id may come round while a very slow request still holds it.
    if (this.#wrapped) while (this.#byId.has(id)) id = id >= this.#maxId ? 1 : id + 1;
    this.#lastId = id;
    return id;
  }

  /** Record a sent request under `id` (from {@link nextId}). */
  add(request: PendingRequest, id: number): void {
    request.id = id;
    this.#byId.set(id, request);
  }

  /** The in-flight request answered by `id`, or `undefined` (timed out, aborted, unknown). */
  get(id: number): PendingRequest | undefined {
    return this.#byId.get(id);
  }

  /** Remove a request from the registry, whatever its state (abort, connection loss, close). */
  forget(request: PendingRequest): void {
    if (request.state === RequestState.InFlight) this.#byId.delete(request.id);
    this.#deadlines.unwatch(request);
  }

  /** Clear the timer for good (the pool is closing); the caller has settled every request. */
  stop(): void {
    this.#deadlines.stop();
  }
}
