/**
 * Deadlines without a timer per entry: the one deadline mechanism of an owner (a pool's acquire
 * timeouts, a connection's read timeouts, a multiplexed pool's request timeouts).
 *
 * Every watched entry sits on a *lane*, a linked list of the entries that share one timeout
 * value. A deadline is `start + timeout` with `start` read from a monotonic clock, so appending
 * keeps each lane ordered by deadline: watching and unwatching are O(1), and a lane's head is its
 * earliest deadline. One unref'd timer is armed for the earliest head over all lanes:
 *
 *   - an entry due later than the armed deadline (the usual case: one timeout value for all)
 *     touches no timer at all;
 *   - an entry that leaves early touches no timer either: the timer is left to fire, finds nothing
 *     due and re-arms for the new earliest head. With one timeout value T, that is at most one
 *     timer callback per T, whatever the rate;
 *   - only an entry due before the armed deadline (a shorter timeout) re-arms at once.
 *
 * Lanes are few: a lane that empties is dropped, except the *sticky* one (the usual timeout given
 * to the constructor, else the lane used last), so a steady timeout value allocates no lane per
 * entry and per-call timeouts computed from a budget cannot make lanes pile up.
 *
 * @module
 */
import { MAX_TIMER_MS, monotonic, startTimer, stopTimer, type Timer } from '../clock.js';
import { LinkedList, type ListNode } from './linked-list.js';

/** An entry of a {@link DeadlineQueue}: its own node on its lane. */
export interface Timed extends ListNode {
  /** Monotonic ms ({@link monotonic}) at which it expires: the start plus {@link Timed.timeout}. */
  readonly deadline: number;
  /** Its timeout in ms (finite, ≥ 0): entries with equal timeouts share a lane. */
  readonly timeout: number;
}

/**
 * A deadline on behalf of `holder`, for holders that cannot be lane nodes themselves (a waiting
 * read or acquire is already a node of its wait list).
 */
export class DeadlineTicket<H> implements Timed {
  prev: ListNode | null = null;
  next: ListNode | null = null;
  list: LinkedList<ListNode> | null = null;
  constructor(
    readonly holder: H,
    readonly deadline: number,
    readonly timeout: number,
  ) {}
}

export class DeadlineQueue<T extends Timed> {
  readonly #lanes = new Map<number, LinkedList<T>>();
  readonly #onExpire: (entry: T) => void;
  /** The usual timeout's lane is kept for good; otherwise the lane used last is kept. */
  readonly #fixedSticky: boolean;
  #stickyTimeout: number;
  #stickyLane: LinkedList<T> | undefined;
  #timer: Timer | undefined;
  /** The deadline the timer is armed for; `Infinity` while it is not armed. */
  #armedAt = Infinity;
  #stopped = false;

  /**
   * @param onExpire called for each entry whose deadline passed, after it left its lane.
   * @param usualTimeout the owner's default timeout, if it has one: its lane is never dropped.
   */
  constructor(onExpire: (entry: T) => void, usualTimeout = Infinity) {
    this.#onExpire = onExpire;
    this.#fixedSticky = usualTimeout !== Infinity;
    this.#stickyTimeout = usualTimeout;
    if (this.#fixedSticky) {
      this.#stickyLane = new LinkedList<T>();
      this.#lanes.set(usualTimeout, this.#stickyLane);
    }
  }

  /** Entries being watched (for leak checks and statistics). */
  get size(): number {
    let n = 0;
    for (const lane of this.#lanes.values()) n += lane.length;
    return n;
  }

  /**
   * Watch `entry` until it is unwatched or expires. `now` is the monotonic time its deadline was
   * computed from; entries of one timeout must be watched in the order of their deadlines (true
   * when each is computed from a fresh {@link monotonic} read).
   */
  watch(entry: T, now: number): void {
    this.#laneFor(entry.timeout).push(entry);
    if (entry.deadline < this.#armedAt && !this.#stopped) {
      stopTimer(this.#timer);
      this.#arm(entry.deadline, now);
    }
  }

  /** Stop watching `entry` (it settled some other way); a no-op if it is not watched. */
  unwatch(entry: T): void {
    const lane = entry.list as LinkedList<T> | null;
    if (lane === null) return;
    lane.remove(entry);
    if (lane.length === 0 && lane !== this.#stickyLane) this.#lanes.delete(entry.timeout);
  }

  /**
   * Clear the timer for good (the owner is closing and has settled or will settle every entry
   * itself). Entries watched afterwards never expire.
   */
  stop(): void {
    this.#stopped = true;
    stopTimer(this.#timer);
    this.#timer = undefined;
    this.#armedAt = Infinity;
  }

  #laneFor(timeout: number): LinkedList<T> {
    if (timeout === this.#stickyTimeout) return this.#stickyLane as LinkedList<T>;
    let lane = this.#lanes.get(timeout);
    if (lane === undefined) this.#lanes.set(timeout, (lane = new LinkedList<T>()));
    if (!this.#fixedSticky) {
      // The previous sticky lane is now an ordinary one: dropped if it is empty.
      const previous = this.#stickyLane;
      if (previous !== undefined && previous.length === 0) this.#lanes.delete(this.#stickyTimeout);
      this.#stickyTimeout = timeout;
      this.#stickyLane = lane;
    }
    return lane;
  }

  #arm(deadline: number, now: number): void {
    this.#armedAt = deadline;
    // Longer than setTimeout allows: fire early, find nothing due, re-arm for the rest.
    this.#timer = startTimer(this.#fire, Math.min(Math.max(Math.ceil(deadline - now), 1), MAX_TIMER_MS));
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#armedAt = Infinity;
    if (this.#stopped) return;
    const now = monotonic();
    let next = Infinity;
    for (const lane of this.#lanes.values()) {
      let head = lane.peek();
      while (head !== null && head.deadline <= now) {
        this.unwatch(head); // drops the lane once empty (deleting while iterating a Map is safe)
        this.#onExpire(head);
        head = lane.peek();
      }
      if (head !== null && head.deadline < next) next = head.deadline;
    }
    // Compared with #armedAt rather than assumed unarmed: whatever onExpire set off may have armed it.
    if (next < this.#armedAt && !this.#stopped) {
      stopTimer(this.#timer);
      this.#arm(next, now);
    }
  };
}
