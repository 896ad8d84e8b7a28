/**
 * The load generator: a closed loop of N callers, each starting its next operation as soon as
 * the previous one settles, for a fixed wall-clock time.
 *
 * The deadline is read from the clock, never from a timer: a pool whose acquire settles in
 * microtasks alone never yields to the timer phase, so a `setTimeout` flag would never fire.
 * Without a histogram the clock is read every {@link UNTIMED_BATCH} operations per caller, so the
 * measurement costs next to nothing next to a ~100 ns acquire.
 *
 * @module
 */
import type { RecordableHistogram } from 'node:perf_hooks';

/** What a scenario hands the loop for one contender. */
export interface Workload {
  /** Concurrent callers. */
  readonly callers: number;
  /** One operation by caller `worker` (0 ≤ worker < callers). Rejects if the operation was wrong. */
  op(worker: number): Promise<void>;
  close(): Promise<void>;
}

export interface LoopSample {
  readonly ops: number;
  readonly seconds: number;
  /** Client CPU time (user + system) spent during the loop, µs. */
  readonly cpuMicros: number;
}

const UNTIMED_BATCH = 64;
/** How long past the deadline unfinished operations are waited for before the run is called hung. */
const HANG_MS = 10_000;

/**
 * Runs `workload` for `durationMs`. With `histogram`, each operation's latency is recorded in
 * nanoseconds. Operations that started before the deadline are finished and counted; the
 * elapsed time includes them, so ops / seconds stays honest.
 */
export async function runClosedLoop(
  workload: Workload,
  durationMs: number,
  histogram?: RecordableHistogram,
): Promise<LoopSample> {
  const { callers } = workload;
  const op = workload.op.bind(workload);
  let stop = false;
  let ops = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const deadline = start + durationMs;

  const timedCaller = async (worker: number): Promise<void> => {
    while (!stop) {
      const began = performance.now();
      await op(worker);
      const ended = performance.now();
      (histogram as RecordableHistogram).record(Math.max(1, Math.round((ended - began) * 1e6)));
      ops++;
      if (ended >= deadline) stop = true;
    }
  };
  const untimedCaller = async (worker: number): Promise<void> => {
    while (!stop) {
      for (let i = 0; i < UNTIMED_BATCH; i++) await op(worker);
      ops += UNTIMED_BATCH;
      if (performance.now() >= deadline) stop = true;
    }
  };
  const caller = histogram === undefined ? untimedCaller : timedCaller;
  const guarded = async (worker: number): Promise<void> => {
    try {
      await caller(worker);
    } catch (error) {
      // One failed operation stops every caller: the contender is broken, not slow.
      stop = true;
      throw error;
    }
  };

  const all = Promise.allSettled(Array.from({ length: callers }, (_, worker) => guarded(worker)));
  let watchdog: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    watchdog = setTimeout(() => {
      stop = true;
      reject(new Error(`operations still pending ${HANG_MS} ms after the deadline (a hung contender)`));
    }, durationMs + HANG_MS);
  });
  const settled = await Promise.race([all, hung]).finally(() => clearTimeout(watchdog));
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;
  return { ops, seconds, cpuMicros: cpu.user + cpu.system };
}
