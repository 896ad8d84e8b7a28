import { AssertionError } from 'node:assert';
import { createHook } from 'node:async_hooks';
import timers from 'node:timers';
import { vi } from 'vitest';

// Captured at load, before any test can install fake timers (which replace both the globals and the
// `node:timers` exports): the wait below must turn the real event loop.
const realSetImmediate = timers.setImmediate;

/**
 * Pseudo resource type counting pending *fake* timers (`vi.getTimerCount()`), present in a snapshot
 * only when it was taken under `vi.useFakeTimers()`.
 */
export const FAKE_TIMERS = 'FakeTimers';

/**
 * Resource types checked when none are given. `Timeout` is deliberately absent: Node lists only
 * ref'ed timers (the library unrefs its own), and vitest itself keeps a ref'ed 100 ms timer around
 * while it throttles task updates, which made a `Timeout` count flaky. Use {@link trackTimers} for timers.
 */
export const DEFAULT_LEAK_TYPES: readonly string[] = [
  'TCPSocketWrap',
  'TCPServerWrap',
  'TLSWrap',
  'ConnectWrap',
  'TCPConnectWrap',
  'GetAddrInfoReqWrap',
  'UDPWrap',
  FAKE_TIMERS,
];

/** Counts of live resources by type, from `process.getActiveResourcesInfo()`. */
export type HandleSnapshot = Readonly<Record<string, number>>;

/** Real timers created since {@link trackTimers} and not yet fired or cleared. */
export interface TimerTracker {
  /** One line per pending timer: the first stack frame outside Node and vitest that created it. */
  pending(): string[];
  /** Disables the hook. */
  stop(): void;
}

export interface NoNewHandlesOptions {
  /** Resource types to compare (add `'Timeout'` to count ref'ed timers). @default DEFAULT_LEAK_TYPES */
  types?: readonly string[];
  /** Also require every timer seen by this tracker to have fired or been cleared. */
  timers?: TimerTracker;
  /** Event-loop turns (`setImmediate`) to wait for counts to fall back. @default 200 */
  maxTurns?: number;
}

/**
 * Counts the process's live resources by type (`TCPSocketWrap`, `TCPServerWrap`, `Timeout`, …).
 * Under `vi.useFakeTimers()` it adds {@link FAKE_TIMERS}: faked timers create no real `Timeout`.
 * Unref'ed timers (the library's, `socket.setTimeout`) are not listed by Node: see {@link trackTimers}.
 */
export function snapshotHandles(): HandleSnapshot {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  if (vi.isFakeTimers()) counts[FAKE_TIMERS] = vi.getTimerCount();
  return counts;
}

// Frames that say nothing about who leaked: Node internals, vitest, and this file.
const NOISE =
  /node:internal|node:timers|\(node:|[\\/]node_modules[\\/](?:vitest|@vitest|tinypool|tinyspy)[\\/]|[\\/]leaks\.ts:/;

const LOCATED = /:\d+:\d+\)?$/;

function creationSite(): string | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 30;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  // Only frames with a source location count: `new Promise (<anonymous>)` and natives say nothing.
  const site = stack
    .split('\n')
    .slice(1)
    .find((line) => LOCATED.test(line) && !NOISE.test(line));
  return site?.trim();
}

/**
 * Tracks real timers (`Timeout`, ref'ed or not, intervals included) created from now on through
 * `async_hooks`, ignoring those created by vitest itself. Pass it to {@link expectNoNewHandles} as
 * `timers`, and `stop()` it in `afterEach`. Costs a stack capture per timer: use it in tests only.
 * Fake timers are not real timers and are not seen (they count under {@link FAKE_TIMERS}).
 */
export function trackTimers(): TimerTracker {
  const live = new Map<number, string>();
  const hook = createHook({
    init(asyncId, type) {
      if (type !== 'Timeout') return;
      const site = creationSite();
      if (site !== undefined) live.set(asyncId, site);
    },
    destroy(asyncId) {
      live.delete(asyncId);
    },
  });
  hook.enable();
  return {
    pending: () => [...live.values()],
    stop() {
      hook.disable();
      live.clear();
    },
  };
}

function excess(before: HandleSnapshot, opts: NoNewHandlesOptions): string[] {
  const now = snapshotHandles();
  const leaks: string[] = [];
  for (const type of opts.types ?? DEFAULT_LEAK_TYPES) {
    // Fake timers are compared only when both snapshots were taken under fake timers.
    if (type === FAKE_TIMERS && (before[type] === undefined || now[type] === undefined)) continue;
    const was = before[type] ?? 0;
    const is = now[type] ?? 0;
    if (is > was) leaks.push(`${type} +${is - was} (${was} before, ${is} now)`);
  }
  for (const site of opts.timers?.pending() ?? []) leaks.push(`timer created ${site}`);
  return leaks;
}

/**
 * Resolves once no counted resource type is above its count in `before` (and, with `timers`, no
 * tracked timer is pending); otherwise, after `maxTurns` event-loop turns, throws an `AssertionError`
 * listing what grew. Waiting is by turns of the real event loop (real `setImmediate`, so it works under
 * fake timers), never by a sleep: closing sockets on loopback settle within a few turns. Under fake
 * timers a pending fake timer never fires while waiting — run or clear them first
 * (`vi.runAllTimers()` / `vi.clearAllTimers()`).
 */
export async function expectNoNewHandles(
  before: HandleSnapshot,
  opts: NoNewHandlesOptions = {},
): Promise<void> {
  const maxTurns = opts.maxTurns ?? 200;
  let leaks = excess(before, opts);
  for (let turn = 0; leaks.length > 0 && turn < maxTurns; turn++) {
    await new Promise<void>((resolve) => realSetImmediate(resolve));
    leaks = excess(before, opts);
  }
  if (leaks.length > 0) {
    throw new AssertionError({
      message: `resources leaked after ${maxTurns} event-loop turns:\n  ${leaks.join('\n  ')}`,
      actual: snapshotHandles(),
      expected: before,
      operator: 'expectNoNewHandles',
    });
  }
}
