// Fake resources and controllable creates for the pool core tests: no sockets, no sleeping.
import { ResourcePool } from '../../src/pool/index.js';
import type { ResourcePoolOptions } from '../../src/pool/index.js';

/** What the fake factory hands out. */
export interface Fake {
  readonly id: number;
}

/** A promise with its settle functions exposed. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The observed outcome of a promise, recorded without ever leaving a rejection unhandled. */
export interface Outcome<T> {
  status: 'pending' | 'fulfilled' | 'rejected';
  value?: T;
  error?: unknown;
  /** How many times it settled (must end at most 1). */
  settleCount: number;
}

export function track<T>(promise: Promise<T>): Outcome<T> {
  const outcome: Outcome<T> = { status: 'pending', settleCount: 0 };
  promise.then(
    (value) => {
      outcome.status = 'fulfilled';
      outcome.value = value;
      outcome.settleCount++;
    },
    (error: unknown) => {
      outcome.status = 'rejected';
      outcome.error = error;
      outcome.settleCount++;
    },
  );
  return outcome;
}

/** Let queued microtasks (promise reactions, the deferred create start) run. */
export async function flush(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/**
 * A resource factory under test control. In `auto` mode every create resolves at once with a new
 * fake; otherwise each create waits in `pending` until the test resolves or fails it.
 */
export class FakeFactory {
  auto: boolean;
  nextId = 1;
  /** Creates not yet settled, oldest first. */
  readonly pending: Deferred<Fake>[] = [];
  /** Every destroy call, in order. */
  readonly destroyed: { value: Fake; forced: boolean }[] = [];
  /** When set, destroy returns this promise (an async destroy). */
  destroyResult: Promise<void> | undefined;
  /** When set, destroy throws it. */
  destroyThrows: Error | undefined;
  createCalls = 0;
  /** The `ownerGaveUp` signal each create was given, in call order. */
  readonly signals: (AbortSignal | undefined)[] = [];

  constructor(auto = true) {
    this.auto = auto;
  }

  readonly create = (ownerGaveUp?: AbortSignal): Promise<Fake> => {
    this.createCalls++;
    this.signals.push(ownerGaveUp);
    if (this.auto) return Promise.resolve({ id: this.nextId++ });
    const d = deferred<Fake>();
    this.pending.push(d);
    return d.promise;
  };

  readonly destroy = (value: Fake, forced: boolean): void | Promise<void> => {
    this.destroyed.push({ value, forced });
    if (this.destroyThrows !== undefined) throw this.destroyThrows;
    return this.destroyResult;
  };

  /** Resolve the oldest pending create with a new fake. */
  succeed(): Fake {
    const d = this.#take();
    const fake = { id: this.nextId++ };
    d.resolve(fake);
    return fake;
  }

  /** Reject the oldest pending create. */
  fail(error: unknown): void {
    this.#take().reject(error);
  }

  #take(): Deferred<Fake> {
    const d = this.pending.shift();
    if (d === undefined) throw new Error('no create is pending');
    return d;
  }
}

/** A pool over a {@link FakeFactory}. */
export function makePool(
  options: Partial<ResourcePoolOptions<Fake>> & { maxSize: number },
  factory = new FakeFactory(),
): { pool: ResourcePool<Fake>; factory: FakeFactory } {
  const pool = new ResourcePool<Fake>({ create: factory.create, destroy: factory.destroy, ...options });
  return { pool, factory };
}

/** Check the gauges' arithmetic and the cap; returns the stat for further assertions. */
export function checkInvariants(pool: ResourcePool<Fake>): ReturnType<ResourcePool<Fake>['stat']> {
  const s = pool.stat();
  if (s.totalResources !== s.idleResources + s.acquiredResources + s.constructingResources)
    throw new Error(`total ${s.totalResources} != idle + acquired + constructing: ${JSON.stringify(s)}`);
  if (s.totalResources > s.maxSize) throw new Error(`total above maxSize: ${JSON.stringify(s)}`);
  if (s.pendingAcquires > 0 && (s.idleResources !== 0 || s.totalResources !== s.maxSize))
    throw new Error(`queued acquires while the pool is not full or has idle: ${JSON.stringify(s)}`);
  return s;
}
