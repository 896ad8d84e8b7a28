// Shared fixtures of the fault-injection suite (test/faults, test/security, test/soak):
//
// - URLs carrying credentials (`user:S3CRETPW@`, `?token=T0KENVALUE`) that every scenario dials, and a
//   redaction audit that greps every WsPoolError and every diagnostics payload the suite produced;
// - a tally per scenario: calls, successes, errors by code, lost (never settled) and mismatched
//   (somebody else's reply) calls, checked `stat()` invariants, leaked handles;
// - the figures file behind docs/reliability.md, written only with WSPOOL_WRITE_FIGURES=1.
import diagnosticsChannel from 'node:diagnostics_channel';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import timers from 'node:timers';
import { inspect } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import { expect } from 'vitest';
import {
  CHANNELS,
  WsPoolError,
  type MultiplexPool,
  type MultiplexPoolStat,
  type Pool,
  type PooledConnection,
} from '../../src/index.js';
import {
  expectNoNewHandles,
  snapshotHandles,
  type HandleSnapshot,
  type TcpProxy,
  type TimerTracker,
} from '../helpers/index.js';

// Captured at load, before any scenario installs fake timers.
const realSetTimeout = timers.setTimeout;
const realClearTimeout = timers.clearTimeout;
const realNow = performance.now.bind(performance);

/** Runs longer and heavier variants (`WSPOOL_STRESS=1`). */
export const STRESS = process.env.WSPOOL_STRESS === '1';

// ---- secrets ---------------------------------------------------------------------------------

export const SECRET_PASSWORD = 'S3CRETPW';
export const SECRET_TOKEN = 'T0KENVALUE';
export const SECRETS: readonly string[] = [SECRET_PASSWORD, SECRET_TOKEN];

/** `ws://user:S3CRETPW@127.0.0.1:<port>/feed?token=T0KENVALUE` through `proxy` (or to a port). */
export function secretUrl(target: TcpProxy | number, scheme: 'ws' | 'wss' = 'ws'): string {
  const port = typeof target === 'number' ? target : target.port;
  return `${scheme}://user:${SECRET_PASSWORD}@127.0.0.1:${port}/feed?token=${SECRET_TOKEN}&v=1`;
}

/**
 * Everything the suite saw that a user could log: errors (with their whole `cause` chain, stack and
 * fields, as `util.inspect` renders them) and diagnostics payloads. {@link assertNoSecrets} greps it.
 */
class Audit {
  errors = 0;
  payloads = 0;
  readonly byChannel: Record<string, number> = {};
  readonly leaks: string[] = [];

  error(error: unknown): void {
    this.errors++;
    this.#grep('error', error);
  }

  payload(channel: string, message: unknown): void {
    this.payloads++;
    this.byChannel[channel] = (this.byChannel[channel] ?? 0) + 1;
    this.#grep(channel, message);
  }

  /** Any string (a `url` field, `pool.url`, `leaks()`) the test wants audited. */
  text(where: string, text: string): void {
    this.#grep(where, text);
  }

  #grep(where: string, value: unknown): void {
    const rendered =
      typeof value === 'string'
        ? value
        : inspect(value, { depth: 8, showHidden: false, breakLength: Infinity });
    for (const secret of SECRETS) {
      if (rendered.includes(secret) && this.leaks.length < 20) this.leaks.push(`${where}: ${rendered}`);
    }
  }
}

export const audit = new Audit();

const subscribers = Object.values(CHANNELS).map((channel) => {
  const onMessage = (message: unknown): void => audit.payload(channel, message);
  return { channel, onMessage };
});

/** Subscribe the audit to every `wspool:*` channel (call in `beforeAll`). */
export function subscribeDiagnostics(): void {
  for (const { channel, onMessage } of subscribers) diagnosticsChannel.subscribe(channel, onMessage);
}

/** Unsubscribe (call in `afterAll`). */
export function unsubscribeDiagnostics(): void {
  for (const { channel, onMessage } of subscribers) diagnosticsChannel.unsubscribe(channel, onMessage);
}

/** No error or payload the suite saw contains a secret; and the audit was not empty. */
export function assertNoSecrets(minErrors = 1): void {
  expect(audit.leaks).toEqual([]);
  expect(audit.errors).toBeGreaterThanOrEqual(minErrors);
}

// ---- tallies ---------------------------------------------------------------------------------

/** The outcome figures of one scenario. */
export interface Figures {
  scenario: string;
  /** Calls attempted (an acquire + round trip, or a multiplexed request). */
  requests: number;
  ok: number;
  /** Rejections by `WsPoolError` code. */
  errors: Record<string, number>;
  /** Calls that never settled within their deadline. */
  lost: number;
  /** Replies that reached a caller other than the one that sent the request. */
  mismatched: number;
  /** Rejections that were not a `WsPoolError`. */
  untyped: number;
  /** `stat()` snapshots checked against `total = idle + acquired + constructing <= max`. */
  statChecks: number;
  statViolations: number;
  /** Sockets, servers and library timers left after close(), as measured. */
  leakedHandles: number;
  /** Scenario-specific measurements (dial attempts, ms, bytes...). */
  extra: Record<string, number | string>;
}

export class Tally {
  readonly figures: Figures;
  readonly #violations: string[] = [];
  readonly #untyped: unknown[] = [];

  constructor(scenario: string) {
    this.figures = {
      scenario,
      requests: 0,
      ok: 0,
      errors: {},
      lost: 0,
      mismatched: 0,
      untyped: 0,
      statChecks: 0,
      statViolations: 0,
      leakedHandles: -1,
      extra: {},
    };
  }

  /** A call succeeded. */
  ok(): void {
    this.figures.requests++;
    this.figures.ok++;
  }

  /** A call failed with `error` (audited for secrets; must be a WsPoolError). */
  fail(error: unknown): void {
    this.figures.requests++;
    audit.error(error);
    if (error instanceof WsPoolError) {
      this.figures.errors[error.code] = (this.figures.errors[error.code] ?? 0) + 1;
    } else {
      this.figures.untyped++;
      if (this.#untyped.length < 5) this.#untyped.push(error);
    }
  }

  /** A reply reached the wrong caller. */
  mismatch(): void {
    this.figures.mismatched++;
  }

  /** A call did not settle within its deadline. */
  lost(): void {
    this.figures.requests++;
    this.figures.lost++;
  }

  /** Check the gauge arithmetic of an exclusive pool's (or the multiplexed pool's) `stat()`. */
  checkStat(stat: {
    totalConns: number;
    maxConns: number;
    constructingConns: number;
    idleConns?: number;
    acquiredConns?: number;
  }): void {
    this.figures.statChecks++;
    const { totalConns, maxConns, constructingConns } = stat;
    const problems: string[] = [];
    if (totalConns > maxConns) problems.push('total > max');
    if (totalConns < 0 || constructingConns < 0) problems.push('negative gauge');
    if (stat.idleConns !== undefined && stat.acquiredConns !== undefined) {
      if (totalConns !== stat.idleConns + stat.acquiredConns + constructingConns) {
        problems.push('total != idle + acquired + constructing');
      }
      if (stat.idleConns < 0 || stat.acquiredConns < 0) problems.push('negative gauge');
    }
    if (problems.length > 0) {
      this.figures.statViolations++;
      if (this.#violations.length < 5)
        this.#violations.push(`${problems.join(', ')}: ${JSON.stringify(stat)}`);
    }
  }

  /** The invariants every scenario asserts at its end. */
  assertClean(): void {
    expect(this.#violations).toEqual([]);
    expect(this.#untyped).toEqual([]);
    expect(this.figures.lost).toBe(0);
    expect(this.figures.mismatched).toBe(0);
    expect(this.figures.statChecks).toBeGreaterThan(0);
  }

  set(key: string, value: number | string): void {
    this.figures.extra[key] = value;
  }

  get errorCount(): number {
    return Object.values(this.figures.errors).reduce((a, b) => a + b, 0) + this.figures.untyped;
  }
}

/** Every scenario's figures, in run order, for the figures file. */
export const allFigures: Figures[] = [];

/** Register a tally for the figures file; returns it. */
export function tally(scenario: string): Tally {
  const t = new Tally(scenario);
  allFigures.push(t.figures);
  return t;
}

// ---- settling, time ----------------------------------------------------------------------------

/** Real-time sleep (works under fake timers). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => realSetTimeout(resolve, ms));
}

/** Real monotonic ms. */
export function realTime(): number {
  return realNow();
}

/**
 * Settles with `promise`'s outcome, or `'lost'` if it has not settled after `ms` of real time (the
 * promise keeps a handler, so a late rejection stays handled).
 */
export async function settleWithin<T>(
  promise: Promise<T>,
  ms: number,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown } | 'lost'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const lost = new Promise<'lost'>((resolve) => {
    timer = realSetTimeout(() => resolve('lost'), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
      lost,
    ]);
  } finally {
    realClearTimeout(timer);
  }
}

/**
 * Memory after full garbage collections, for figures that must not depend on when V8 happens to
 * collect. Two collections: V8 frees ArrayBuffer backing stores on a concurrent sweeper after a GC,
 * so `arrayBuffers` read right after one can still count dead buffers; the next GC finishes that
 * sweep first. `--expose-gc` is set at run time and `gc` taken from a fresh context.
 */
export async function settledMemory(): Promise<NodeJS.MemoryUsage> {
  gcFn ??= (() => {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  })();
  gcFn();
  await sleep(10);
  gcFn();
  return process.memoryUsage();
}
let gcFn: (() => void) | undefined;

// ---- leaks -------------------------------------------------------------------------------------

/**
 * Timers of the library (src/) and of `ws` only: the proxy's own lane timers and the test's are not
 * the library's business.
 */
export function libraryTimers(tracker: TimerTracker): TimerTracker {
  return {
    pending: () =>
      tracker.pending().filter((site) => /[\\/]src[\\/]|[\\/]node_modules[\\/]ws[\\/]/.test(site)),
    stop: () => tracker.stop(),
  };
}

/**
 * After a pool's `close()`: waits until no socket or server is left above `before` and no library
 * timer is pending (throws, naming them, otherwise). Returns the number leaked (0), as measured.
 */
export async function measureLeaks(before: HandleSnapshot, tracker: TimerTracker): Promise<number> {
  await expectNoNewHandles(before, { timers: libraryTimers(tracker) });
  const now = snapshotHandles();
  let leaked = 0;
  for (const type of ['TCPSocketWrap', 'TCPServerWrap', 'TLSWrap']) {
    leaked += Math.max(0, (now[type] ?? 0) - (before[type] ?? 0));
  }
  return leaked + libraryTimers(tracker).pending().length;
}

// ---- figures file --------------------------------------------------------------------------------

const FIGURES_FILE = new URL('../../docs/reliability-figures.json', import.meta.url);
const LOCK_DIR = new URL('../../docs/.reliability-figures.lock', import.meta.url);

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * With WSPOOL_WRITE_FIGURES=1, merge this suite's figures into docs/reliability-figures.json under
 * `suite` (test files run in parallel processes: a lock directory serialises the read-modify-write).
 * The file is written prettier-formatted, so `npm run format:check` stays green.
 */
export async function writeFigures(suite: string, figures: readonly Figures[] = allFigures): Promise<void> {
  if (process.env.WSPOOL_WRITE_FIGURES !== '1' || figures.length === 0) return;
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(FIGURES_FILE.pathname)) ?? {};
  for (let attempt = 0; ; attempt++) {
    try {
      mkdirSync(LOCK_DIR);
      break;
    } catch {
      if (attempt > 500) throw new Error('could not lock docs/.reliability-figures.lock');
      sleepSync(20);
    }
  }
  try {
    let data: {
      generated?: string;
      runs?: Record<string, { at: string; node: string; stress: boolean; soakSeconds?: number }>;
      suites?: Record<string, unknown>;
    } = {};
    try {
      data = JSON.parse(readFileSync(FIGURES_FILE, 'utf8')) as typeof data;
    } catch {
      // first suite of the run
    }
    const at = new Date().toISOString();
    const soak = Number(process.env.WSPOOL_SOAK_SECONDS ?? 0);
    data.generated = at;
    // Each suite is rewritten by its own run; say when and how each was run.
    data.runs = {
      ...data.runs,
      [suite]: { at, node: process.version, stress: STRESS, ...(soak > 0 && { soakSeconds: soak }) },
    };
    data.suites = { ...data.suites, [suite]: figures };
    const text = await prettier.format(JSON.stringify(data), { ...options, parser: 'json' });
    const fd = openSync(FIGURES_FILE, 'w');
    try {
      writeFileSync(fd, text);
    } finally {
      closeSync(fd);
    }
  } finally {
    rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

/** A call's deadline: if it has not settled by then it counts as lost (and fails the scenario). */
export const CALL_DEADLINE = 15_000;

/**
 * One request/response on a borrowed connection: send a unique payload, read the echo, release.
 * On any error the connection is destroyed (a borrower that gave up on a reply must not pass the
 * connection on). Records the outcome in `t`; returns true when the caller got its own payload.
 */
export async function exchange(
  pool: Pool,
  t: Tally,
  payload: string,
  {
    acquireTimeout,
    readTimeout = 1_000,
    deadline = CALL_DEADLINE,
  }: { acquireTimeout?: number; readTimeout?: number; deadline?: number } = {},
): Promise<boolean> {
  let held: PooledConnection | undefined;
  const call = (async () => {
    const conn = await pool.acquire(acquireTimeout === undefined ? undefined : { timeout: acquireTimeout });
    held = conn;
    try {
      await conn.sendMessage(payload);
      const reply = await conn.readMessage({ timeout: readTimeout });
      conn.release();
      return reply;
    } catch (error) {
      conn.destroy();
      throw error;
    }
  })();
  const outcome = await settleWithin(call, deadline);
  t.checkStat(pool.stat());
  if (outcome === 'lost') {
    held?.destroy();
    t.lost();
    return false;
  }
  if (!outcome.ok) {
    t.fail(outcome.error);
    return false;
  }
  if (outcome.value !== payload) t.mismatch();
  t.ok();
  return outcome.value === payload;
}

/** `stat()` of a multiplexed pool, checked: the shared invariants plus no negative request gauge. */
export function checkMux(t: Tally, mux: MultiplexPool<unknown, unknown>): MultiplexPoolStat {
  const s = mux.stat();
  t.checkStat(s);
  if (s.inFlight < 0 || s.queuedRequests < 0) t.checkStat({ ...s, totalConns: -1 }); // counted as a violation
  return s;
}

/** One multiplexed request; records the outcome. Returns 'ok', 'closed' (CONNECTION_CLOSED) or 'error'. */
export async function request(
  mux: MultiplexPool<string, string>,
  t: Tally,
  payload: string,
  { timeout = 1_500, deadline = CALL_DEADLINE }: { timeout?: number; deadline?: number } = {},
): Promise<'ok' | 'closed' | 'error'> {
  const outcome = await settleWithin(mux.request(payload, { timeout }), deadline);
  checkMux(t, mux);
  if (outcome === 'lost') {
    t.lost();
    return 'error';
  }
  if (!outcome.ok) {
    t.fail(outcome.error);
    return (outcome.error as { code?: string }).code === 'WSPOOL_ERR_CONNECTION_CLOSED' ? 'closed' : 'error';
  }
  if (outcome.value !== payload) t.mismatch();
  t.ok();
  return 'ok';
}
