// Model-based property test of the pool core: random command sequences run against the real
// ResourcePool (fake timers, controllable creates) and against a deliberately naive array model.
// After every command the two must agree exactly: each acquire's outcome (which resource, or
// which error), every gauge and counter, the idle stack order, timestamps and destroy calls.
//
// WSPOOL_STRESS=1 runs 50× more sequences.
import fc from 'fast-check';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { isWsPoolError } from '../../src/errors.js';
import { ResourcePool, type Resource } from '../../src/pool/index.js';
import { coverage, Model, type Expected } from './pool-model.js';
import {
  checkInvariants,
  deferred,
  flush,
  track,
  type Deferred,
  type Fake,
  type Outcome,
} from './fixtures.js';

const NUM_RUNS = process.env.WSPOOL_STRESS === '1' ? 15_000 : 300;

// ---------------------------------------------------------------------------------------------
// Commands

type Cmd =
  | { t: 'acquire'; timeout: number | undefined; signal: boolean; preAborted: boolean }
  | { t: 'release'; k: number; unused: boolean }
  | { t: 'destroyHeld'; k: number }
  | { t: 'destroyIdle'; k: number }
  | { t: 'abort'; k: number }
  | { t: 'createOk'; k: number }
  | { t: 'createFail'; k: number }
  | { t: 'advance'; ms: number }
  | { t: 'fill' }
  | { t: 'allIdle' }
  | { t: 'close'; timeout: number | undefined };

const k = fc.nat(7);
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('acquire' as const),
      timeout: fc.oneof(
        fc.constant(undefined),
        fc.constant(Infinity),
        fc.constant(0),
        fc.integer({ min: 1, max: 1000 }),
      ),
      signal: fc.boolean(),
      preAborted: fc.nat(9).map((n) => n === 0),
    }),
  },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('release' as const), k, unused: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('destroyHeld' as const), k }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('destroyIdle' as const), k }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('abort' as const), k }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('createOk' as const), k }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('createFail' as const), k }) },
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 1200 }) }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('fill' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('allIdle' as const) }) },
);

// A close anywhere in a sequence would make the rest of it trivial (everything rejects), so a
// run closes at most once, at a uniformly chosen point, and often not at all before teardown.
const closeArb = fc.option(
  fc.record({
    at: fc.nat(45),
    timeout: fc.oneof(fc.constant(undefined), fc.constant(Infinity), fc.integer({ min: 0, max: 1000 })),
  }),
  { freq: 2 },
);

// ---------------------------------------------------------------------------------------------
// The system under test, driven in lockstep.

class Harness {
  readonly model: Model;
  readonly pool: ResourcePool<Fake>;
  readonly pending: Deferred<Fake>[] = [];
  readonly destroyed: { id: number; forced: boolean }[] = [];
  readonly acquires: Outcome<Resource<Fake>>[] = [];
  readonly fills: Outcome<boolean>[] = [];
  readonly handles = new Map<number, Resource<Fake>>();
  /** Step at which each acquire was first seen settled. */
  readonly settledAt = new Map<number, number>();
  closePromise: Promise<void> | undefined;
  closeOutcome: Outcome<void> | undefined;
  closedAtStep: number | undefined;
  step = 0;

  constructor(maxSize: number, maxWaiting: number) {
    this.model = new Model(maxSize, maxWaiting, Date.now());
    this.pool = new ResourcePool<Fake>({
      maxSize,
      maxWaiting,
      create: () => {
        const d = deferred<Fake>();
        this.pending.push(d);
        return d.promise;
      },
      destroy: (value, forced) => {
        this.destroyed.push({ id: value.id, forced });
      },
    });
  }

  async run(cmd: Cmd): Promise<void> {
    const { model, pool } = this;
    switch (cmd.t) {
      case 'acquire': {
        const controller = cmd.signal ? new AbortController() : undefined;
        const pre = cmd.preAborted ? new Error('aborted before acquire') : undefined;
        const signal = pre ? AbortSignal.abort(pre) : controller?.signal;
        const id = model.acquires.length;
        model.acquire(cmd.timeout, controller, pre);
        const a = model.acquires[id];
        if (a && controller) a.abortReason = new Error(`abort #${id}`);
        this.acquires.push(track(pool.acquire({ timeout: cmd.timeout, signal })));
        break;
      }
      case 'release':
      case 'destroyHeld': {
        const res = pick(model.held, cmd.k);
        if (!res) break;
        const handle = this.#handle(res.id);
        if (cmd.t === 'destroyHeld') {
          model.destroy(res, false);
          handle.destroy();
        } else {
          model.release(res, !cmd.unused);
          if (cmd.unused) handle.releaseUnused();
          else handle.release();
        }
        break;
      }
      case 'destroyIdle': {
        const res = pick(model.idle, cmd.k);
        if (!res) break;
        const handle = pool.idleResources[model.idle.indexOf(res)];
        expect(handle?.value.id).toBe(res.id);
        model.destroy(res, false);
        handle?.destroy();
        break;
      }
      case 'abort': {
        const withSignal = model.acquires.filter((a) => a.controller && !a.controller.signal.aborted);
        const a = pick(withSignal, cmd.k);
        if (!a) break;
        model.abort(a);
        a.controller?.abort(a.abortReason);
        break;
      }
      case 'createOk':
      case 'createFail': {
        if (model.creates.length === 0) break;
        const index = cmd.k % model.creates.length;
        const [d] = this.pending.splice(index, 1);
        if (cmd.t === 'createOk') {
          const id = model.createOk(index);
          d?.resolve({ id });
        } else {
          const error = new Error(`create failed at step ${this.step}`);
          model.createFail(index, error);
          d?.reject(error);
        }
        break;
      }
      case 'advance':
        model.advance(cmd.ms);
        await vi.advanceTimersByTimeAsync(cmd.ms);
        break;
      case 'fill':
        model.fill();
        this.fills.push(track(pool.createResource()));
        break;
      case 'allIdle': {
        const expected = model.allIdle().map((r) => r.id);
        const taken = pool.acquireAllIdle();
        expect(taken.map((r) => r.value.id)).toEqual(expected);
        for (const r of taken) this.handles.set(r.value.id, r);
        break;
      }
      case 'close': {
        model.close(cmd.timeout);
        const p = pool.close({ timeout: cmd.timeout });
        if (this.closePromise === undefined) {
          this.closePromise = p;
          this.closeOutcome = track(p);
          this.closedAtStep = this.step;
        } else {
          expect(p).toBe(this.closePromise);
        }
        break;
      }
    }
    await flush();
    this.check();
    this.step++;
  }

  #handle(id: number): Resource<Fake> {
    const handle = this.handles.get(id);
    if (!handle) throw new Error(`no handle seen for resource ${id}`);
    return handle;
  }

  check(): void {
    const { model, pool } = this;
    // Every acquire: same status, same resource or same error, settled at most once.
    model.acquires.forEach((m, i) => {
      const real = this.acquires[i];
      if (!real) throw new Error(`acquire ${i} missing`);
      expect(real.status, `acquire #${i}`).toBe(m.status);
      expect(real.settleCount).toBe(m.status === 'pending' ? 0 : 1);
      if (real.status !== 'pending' && !this.settledAt.has(i)) {
        this.settledAt.set(i, this.step);
        // Nothing but POOL_CLOSED may settle once the pool is closed.
        if (this.closedAtStep !== undefined && this.step >= this.closedAtStep)
          expect(isWsPoolError(real.error, 'WSPOOL_ERR_POOL_CLOSED'), `acquire #${i} after close`).toBe(true);
      }
      if (m.status === 'fulfilled') {
        expect(real.value?.value.id, `acquire #${i} resource`).toBe(m.resource);
        if (real.value) this.handles.set(real.value.value.id, real.value);
      }
      if (m.status === 'rejected') expectError(real.error, m.expected);
    });
    model.fills.forEach((m, i) => {
      const real = this.fills[i];
      expect(real?.status, `fill #${i}`).toBe(m.status);
      if (m.status === 'fulfilled') expect(real?.value).toBe(m.value);
      if (m.status === 'rejected') expect(real?.error).toBe(m.error);
    });
    // Gauges and counters.
    checkInvariants(pool);
    expect([pool.idleCount, pool.totalCount]).toEqual([model.idle.length, model.total]);
    expect(pool.stat()).toEqual({
      totalResources: model.total,
      idleResources: model.idle.length,
      acquiredResources: model.held.length,
      constructingResources: model.creates.length,
      pendingAcquires: model.queue.length,
      maxSize: model.maxSize,
      ...model.stats,
    });
    // The idle stack, in order, and each live resource's state and timestamps.
    const idle = pool.idleResources;
    expect(idle.map((r) => r.value.id)).toEqual(model.idle.map((r) => r.id));
    for (const r of idle) this.handles.set(r.value.id, r);
    for (const m of [...model.idle, ...model.held]) {
      const h = this.#handle(m.id);
      expect({
        state: h.state,
        createdAt: h.createdAt,
        lastUsedAt: h.lastUsedAt,
        acquiredAt: h.acquiredAt,
      }).toEqual({
        state: m.state,
        createdAt: m.createdAt,
        lastUsedAt: m.lastUsedAt,
        acquiredAt: m.acquiredAt,
      });
    }
    expect(this.pending).toHaveLength(model.creates.length);
    expect(sortById(this.destroyed)).toEqual(sortById(model.destroyed));
    expect(pool.lastCreateError).toBe(model.lastCreateError);
    expect(pool.closed).toBe(model.closed);
    // Exactly the timers that must exist: the pool's one acquire-deadline timer while it is armed
    // (never one per acquire), plus close's force timer.
    const timers = model.deadlineTimerAt === undefined ? 0 : 1;
    expect(vi.getTimerCount()).toBe(timers + (model.forceDeadline === undefined ? 0 : 1));
    if (this.closeOutcome)
      expect(this.closeOutcome.status).toBe(model.closeResolved ? 'fulfilled' : 'pending');
  }

  /** Close, force or give everything back, finish every create: then nothing may be left pending. */
  async teardown(closeTimeout: number | undefined): Promise<void> {
    await this.run({ t: 'close', timeout: closeTimeout });
    await this.run({ t: 'advance', ms: 1001 }); // past any close timeout: forces what is still held
    while (this.model.held.length > 0) await this.run({ t: 'release', k: 0, unused: false });
    while (this.model.creates.length > 0) await this.run({ t: 'createOk', k: 0 });
    expect(this.model.closeResolved).toBe(true);
    expect(this.acquires.every((a) => a.status !== 'pending' && a.settleCount === 1)).toBe(true);
    expect(this.fills.every((f) => f.status !== 'pending' && f.settleCount === 1)).toBe(true);
    const s = this.pool.stat();
    expect(s.totalResources).toBe(0);
    expect(s.destroyedCount).toBe(s.createdCount);
    expect(new Set(this.destroyed.map((d) => d.id)).size).toBe(this.destroyed.length);
    expect(vi.getTimerCount()).toBe(0);
  }
}

function pick<T>(list: readonly T[], k: number): T | undefined {
  return list.length === 0 ? undefined : list[k % list.length];
}

function sortById(list: { id: number; forced: boolean }[]): { id: number; forced: boolean }[] {
  return [...list].sort((a, b) => a.id - b.id);
}

function expectError(actual: unknown, expected: Expected | undefined): void {
  if (!expected) throw new Error('model rejected without an expectation');
  if (expected.kind === 'identity') {
    expect(actual).toBe(expected.value);
    return;
  }
  expect(isWsPoolError(actual, expected.code), `expected ${expected.code}, got ${String(actual)}`).toBe(true);
  if (expected.code === 'WSPOOL_ERR_ACQUIRE_TIMEOUT') {
    const err = actual as Error;
    if (expected.cause === undefined) expect('cause' in err).toBe(false);
    else expect(err.cause).toBe(expected.cause);
  }
}

// ---------------------------------------------------------------------------------------------

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

it(`agrees with the model on random command sequences (${NUM_RUNS} runs)`, async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 4 }),
      fc.oneof(fc.constant(Infinity), fc.integer({ min: 0, max: 3 })),
      fc.array(cmdArb, { minLength: 5, maxLength: 60, size: 'max' }),
      closeArb,
      async (maxSize, maxWaiting, cmds, close) => {
        vi.clearAllTimers();
        const h = new Harness(maxSize, maxWaiting);
        for (const [i, cmd] of cmds.entries()) {
          if (close && close.at === i) await h.run({ t: 'close', timeout: close.timeout });
          await h.run(cmd);
        }
        // Half the runs end by forcing what is still held, half by releasing it after close.
        await h.teardown(cmds.length % 2 === 0 ? 500 : undefined);
      },
    ),
    { numRuns: NUM_RUNS },
  );
  // The generator must actually reach the tricky situations, or passing proves little.
  for (const [situation, count] of Object.entries(coverage)) expect(count, situation).toBeGreaterThan(0);
}, 600_000);
