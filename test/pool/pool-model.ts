// The reference model for model.test.ts: the pool's rules restated over plain arrays, with no
// cleverness, so that a disagreement points at the pool (or at a rule worth re-reading).
import type { WsPoolErrorCode } from '../../src/errors.js';

/** How often each interesting situation came up, so the test can prove it explored them. */
export const coverage = {
  lifoReuse: 0,
  queuedGrant: 0,
  destroyWithQueue: 0,
  failWithQueue: 0,
  ownerCanceledThenCreated: 0,
  timeoutWithCause: 0,
  exhausted: 0,
  forcedDestroy: 0,
  createAfterClose: 0,
};

export type Expected =
  { kind: 'identity'; value: unknown } | { kind: 'code'; code: WsPoolErrorCode; cause?: unknown };

export interface MAcquire {
  readonly id: number;
  readonly startedAt: number;
  status: 'pending' | 'fulfilled' | 'rejected';
  resource?: number;
  expected?: Expected;
  deadline?: number;
  controller?: AbortController;
  abortReason?: Error;
}
export interface MFill {
  status: 'pending' | 'fulfilled' | 'rejected';
  value?: boolean;
  error?: unknown;
}
export interface MCreate {
  owner: MAcquire | null;
  fill: MFill | null;
  ownerGaveUp?: boolean;
}
export interface MResource {
  readonly id: number;
  readonly createdAt: number;
  state: 'idle' | 'acquired' | 'destroyed';
  lastUsedAt: number;
  acquiredAt: number;
}

export class Model {
  now: number;
  closed = false;
  closeResolved = false;
  forceDeadline: number | undefined;
  /**
   * When the pool's one acquire-deadline timer fires, if armed. It is armed for a new deadline
   * earlier than it (or when unarmed), is not cleared when the acquire it was armed for settles,
   * and on firing re-arms for the earliest deadline still pending; close() clears it.
   */
  deadlineTimerAt: number | undefined;
  readonly idle: MResource[] = []; // bottom → top
  readonly held: MResource[] = [];
  readonly creates: MCreate[] = [];
  readonly queue: MAcquire[] = [];
  readonly acquires: MAcquire[] = [];
  readonly fills: MFill[] = [];
  readonly destroyed: { id: number; forced: boolean }[] = [];
  lastCreateError: unknown;
  nextId = 1;
  stats = {
    acquireCount: 0,
    acquireDuration: 0,
    emptyAcquireCount: 0,
    emptyAcquireWaitTime: 0,
    canceledAcquireCount: 0,
    createdCount: 0,
    failedCreateCount: 0,
    destroyedCount: 0,
  };

  constructor(
    readonly maxSize: number,
    readonly maxWaiting: number,
    now: number,
  ) {
    this.now = now;
  }

  get total(): number {
    return this.idle.length + this.held.length + this.creates.length;
  }

  acquire(
    timeout: number | undefined,
    controller: AbortController | undefined,
    preAborted: Error | undefined,
  ) {
    const a: MAcquire = { id: this.acquires.length, startedAt: this.now, status: 'pending' };
    if (controller) a.controller = controller;
    this.acquires.push(a);
    const t = timeout ?? Infinity;
    if (this.closed) return this.#reject(a, { kind: 'code', code: 'WSPOOL_ERR_POOL_CLOSED' });
    if (preAborted) {
      this.stats.canceledAcquireCount++;
      return this.#reject(a, { kind: 'identity', value: preAborted });
    }
    if (this.idle.length >= 2) coverage.lifoReuse++;
    const top = this.idle.pop();
    if (top) {
      this.stats.acquireCount++;
      return this.#grant(a, top);
    }
    if (this.queue.length === 0 && this.total < this.maxSize) {
      this.creates.push({ owner: a, fill: null });
      if (t !== Infinity && t > 0) this.#watch(a, this.now + t);
      return;
    }
    if (t === 0) {
      this.stats.canceledAcquireCount++;
      return this.#reject(a, this.#timeoutError());
    }
    if (this.queue.length >= this.maxWaiting) {
      coverage.exhausted++;
      return this.#reject(a, { kind: 'code', code: 'WSPOOL_ERR_POOL_EXHAUSTED' });
    }
    this.queue.push(a);
    if (t !== Infinity) this.#watch(a, this.now + t);
  }

  release(res: MResource, touch: boolean): void {
    if (touch) res.lastUsedAt = this.now;
    if (this.closed) return this.destroy(res, false);
    remove(this.held, res);
    this.#deliver(res);
  }

  destroy(res: MResource, forced: boolean): void {
    if (forced) coverage.forcedDestroy++;
    if (this.queue.length > 0) coverage.destroyWithQueue++;
    if (res.state === 'idle') remove(this.idle, res);
    else remove(this.held, res);
    res.state = 'destroyed';
    this.destroyed.push({ id: res.id, forced });
    this.stats.destroyedCount++;
    this.#refill();
    this.#checkClose();
  }

  cancel(a: MAcquire, expected: Expected): void {
    if (a.status !== 'pending') return;
    remove(this.queue, a);
    for (const c of this.creates) {
      if (c.owner !== a) continue;
      c.owner = null;
      c.ownerGaveUp = true;
    }
    this.stats.canceledAcquireCount++;
    this.#reject(a, expected);
  }

  abort(a: MAcquire): void {
    if (a.abortReason) this.cancel(a, { kind: 'identity', value: a.abortReason });
  }

  createOk(index: number): number {
    const [c] = this.creates.splice(index, 1);
    if (!c) throw new Error('no such create');
    this.stats.createdCount++;
    this.lastCreateError = undefined;
    const res: MResource = {
      id: this.nextId++,
      createdAt: this.now,
      state: 'acquired',
      lastUsedAt: this.now,
      acquiredAt: this.now,
    };
    if (c.ownerGaveUp && !this.closed) coverage.ownerCanceledThenCreated++;
    if (this.closed) {
      coverage.createAfterClose++;
      if (c.fill) settleFill(c.fill, { value: false });
      res.state = 'destroyed';
      this.destroyed.push({ id: res.id, forced: false });
      this.stats.destroyedCount++;
      this.#checkClose();
      return res.id;
    }
    if (c.fill) settleFill(c.fill, { value: true });
    if (c.owner && c.owner.status === 'pending') this.#grantSlow(c.owner, res);
    else this.#deliver(res);
    return res.id;
  }

  createFail(index: number, error: Error): void {
    const [c] = this.creates.splice(index, 1);
    if (!c) throw new Error('no such create');
    this.stats.failedCreateCount++;
    this.lastCreateError = error;
    if (this.queue.length > 0) coverage.failWithQueue++;
    if (c.owner && c.owner.status === 'pending') this.#reject(c.owner, { kind: 'identity', value: error });
    if (c.fill) settleFill(c.fill, { error });
    this.#refill();
    this.#checkClose();
  }

  fill(): MFill {
    const f: MFill = { status: 'pending' };
    this.fills.push(f);
    if (this.closed || this.total >= this.maxSize) settleFill(f, { value: false });
    else this.creates.push({ owner: null, fill: f });
    return f;
  }

  allIdle(): MResource[] {
    const taken = this.idle.splice(0);
    for (const r of taken) {
      r.state = 'acquired';
      r.acquiredAt = this.now;
      this.held.push(r);
    }
    return taken;
  }

  close(timeout: number | undefined): void {
    if (this.closed) return;
    this.closed = true;
    for (const a of this.queue.splice(0)) this.#reject(a, { kind: 'code', code: 'WSPOOL_ERR_POOL_CLOSED' });
    for (const c of this.creates) {
      if (c.owner && c.owner.status === 'pending')
        this.#reject(c.owner, { kind: 'code', code: 'WSPOOL_ERR_POOL_CLOSED' });
      c.owner = null;
    }
    for (const r of [...this.idle]) this.destroy(r, false);
    this.deadlineTimerAt = undefined;
    if (timeout !== undefined && timeout !== Infinity && this.held.length > 0)
      this.forceDeadline = this.now + timeout;
    this.#checkClose();
  }

  advance(ms: number): void {
    const target = this.now + ms;
    while (this.deadlineTimerAt !== undefined && this.deadlineTimerAt <= target) {
      const at = this.deadlineTimerAt;
      this.now = at;
      const pending = () => this.acquires.filter((a) => a.status === 'pending' && a.deadline !== undefined);
      // Due ones in deadline order; the pool's order among equal deadlines carries no meaning.
      const due = pending()
        .filter((a) => (a.deadline ?? Infinity) <= at)
        .sort((x, y) => (x.deadline ?? 0) - (y.deadline ?? 0) || x.id - y.id);
      for (const a of due) {
        if (this.lastCreateError !== undefined) coverage.timeoutWithCause++;
        this.cancel(a, this.#timeoutError());
      }
      const next = Math.min(...pending().map((a) => a.deadline ?? Infinity));
      this.deadlineTimerAt = next === Infinity ? undefined : next;
    }
    if (this.forceDeadline !== undefined && this.forceDeadline <= target) {
      this.now = this.forceDeadline;
      this.forceDeadline = undefined;
      for (const r of [...this.held]) this.destroy(r, true);
    }
    this.now = target;
  }

  #watch(a: MAcquire, deadline: number): void {
    a.deadline = deadline;
    if (this.deadlineTimerAt === undefined || deadline < this.deadlineTimerAt)
      this.deadlineTimerAt = deadline;
  }

  #timeoutError(): Expected {
    return { kind: 'code', code: 'WSPOOL_ERR_ACQUIRE_TIMEOUT', cause: this.lastCreateError };
  }

  #deliver(res: MResource): void {
    const head = this.queue.shift();
    if (head) {
      coverage.queuedGrant++;
      return this.#grantSlow(head, res);
    }
    res.state = 'idle';
    this.idle.push(res);
  }

  #grantSlow(a: MAcquire, res: MResource): void {
    const waited = this.now - a.startedAt;
    this.stats.acquireCount++;
    this.stats.acquireDuration += waited;
    this.stats.emptyAcquireCount++;
    this.stats.emptyAcquireWaitTime += waited;
    this.#grant(a, res);
  }

  #grant(a: MAcquire, res: MResource): void {
    a.status = 'fulfilled';
    a.resource = res.id;
    res.state = 'acquired';
    res.acquiredAt = this.now;
    this.held.push(res);
  }

  #reject(a: MAcquire, expected: Expected): void {
    a.status = 'rejected';
    a.expected = expected;
  }

  #refill(): void {
    while (!this.closed && this.queue.length > 0 && this.total < this.maxSize) {
      const head = this.queue.shift();
      if (head) this.creates.push({ owner: head, fill: null });
    }
  }

  #checkClose(): void {
    if (this.closed && this.total === 0) {
      this.closeResolved = true;
      this.forceDeadline = undefined;
    }
  }
}

function remove<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}

function settleFill(f: MFill, outcome: { value: boolean } | { error: unknown }): void {
  if ('value' in outcome) {
    f.status = 'fulfilled';
    f.value = outcome.value;
  } else {
    f.status = 'rejected';
    f.error = outcome.error;
  }
}
