/**
 * Suite 4 — scale.
 *
 * - **waiters**: a pool of one connection, held; N acquires are queued behind it, then it is
 *   released and every waiter takes and releases it in turn. The time per acquire (enqueue +
 *   hand-off) must not grow with N: an `Array#shift` queue grows linearly, a ring buffer or
 *   linked list stays flat. Reported per N, and as growth = cost at the largest N ÷ smallest.
 * - **fill**: time until a new pool has `minConns` open, for 1, 10, 100. Dials in parallel keep
 *   fill(100) within a small factor of fill(1); serial dials make it ~100×. Raw ws opening N
 *   sockets with `Promise.all` is the limit.
 * - **memory**: heap + external bytes per open idle connection, each contender in a fresh child
 *   process (bench/lib/memory-probe.ts), against raw ws holding the same number of sockets.
 * - **idle at scale**: 10,000 idle connections in one process (wspool's pool and raw ws), the
 *   server in another: the fill time and bytes per connection over raw ws.
 *
 * Contenders alternate within every round, as in the throughput suites; medians are reported.
 *
 * @module
 */
import { fileURLToPath } from 'node:url';

import type { BenchConfig } from '../lib/config.js';
import { connectionSetOpener, type ConnectionSetOpener } from '../lib/connection-set.js';
import type { ExclusivePool, Lease, LoadedContender } from '../lib/contender.js';
import { forkTs, nextMessage, waitForExit } from '../lib/fork-ts.js';
import { formatBytes, formatCount, formatMillis, formatNanos, formatRatio } from '../lib/format.js';
import { collectGarbage } from '../lib/gc.js';
import type { FillEntry, IdleEntry, MemoryEntry, ScaleResults, Skip, WaitersEntry } from '../lib/results.js';
import type { BenchServer } from '../lib/server-process.js';
import { median, ratio, reasonOf } from '../lib/stats.js';

const RAW_ID = 'raw-ws';
/** Per measurement; far above any sane result, low enough that a hung contender does not stall the run. */
const STEP_TIMEOUT_MS = 60_000;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} took over ${STEP_TIMEOUT_MS / 1000} s`)),
      STEP_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

function releaseLease(lease: Lease): void {
  lease.release();
}

/** ns per acquire with `waiters` acquires queued behind a held connection. */
async function measureWaiters(pool: ExclusivePool, waiters: number): Promise<number> {
  const held = await pool.acquire();
  const queued = new Array<Promise<void>>(waiters);
  const start = performance.now();
  for (let i = 0; i < waiters; i++) queued[i] = pool.acquire().then(releaseLease);
  held.release();
  await Promise.all(queued);
  return ((performance.now() - start) * 1e6) / waiters;
}

interface Skipper {
  readonly skipped: Skip[];
  skip(loaded: LoadedContender, scenario: string, error: unknown): void;
}

function skipper(): Skipper {
  const skipped: Skip[] = [];
  return {
    skipped,
    skip(loaded, scenario, error) {
      const reason = reasonOf(error);
      skipped.push({ contender: loaded.id, name: loaded.contender.name, reason, scenario });
      console.log(`  skipped: ${loaded.contender.name} (${reason})`);
    },
  };
}

async function runWaiters(
  contenders: readonly LoadedContender[],
  url: string,
  config: BenchConfig,
  skips: Skipper,
): Promise<WaitersEntry[]> {
  console.log(`\n[4] acquire with N queued waiters — pool of 1 connection, N = ${config.waiters.join(', ')}`);
  const pools: { loaded: LoadedContender; pool: ExclusivePool; samples: Map<number, number[]> }[] = [];
  for (const loaded of contenders) {
    const open = loaded.contender.exclusivePool;
    if (open === undefined) continue;
    try {
      const pool = await open({ url, minConns: 1, maxConns: 1 });
      await withTimeout(measureWaiters(pool, 1_000), 'warm-up');
      pools.push({ loaded, pool, samples: new Map(config.waiters.map((count) => [count, []])) });
    } catch (error) {
      skips.skip(loaded, 'waiters', error);
    }
  }
  const failed = new Set<string>();
  for (let round = 1; round <= config.scaleRounds; round++) {
    for (const waiters of config.waiters) {
      for (const entry of pools) {
        if (failed.has(entry.loaded.id)) continue;
        collectGarbage();
        try {
          const ns = await withTimeout(measureWaiters(entry.pool, waiters), `${waiters} waiters`);
          entry.samples.get(waiters)?.push(ns);
        } catch (error) {
          failed.add(entry.loaded.id);
          skips.skip(entry.loaded, 'waiters', error);
        }
      }
    }
  }
  const entries: WaitersEntry[] = [];
  for (const { loaded, pool, samples } of pools) {
    await pool.close().catch(() => undefined);
    if (failed.has(loaded.id)) continue;
    const points = config.waiters.map((waiters) => ({
      waiters,
      nsPerAcquire: median(samples.get(waiters) ?? []),
    }));
    const growth = ratio(points.at(-1)?.nsPerAcquire, points[0]?.nsPerAcquire);
    entries.push({ contender: loaded.id, name: loaded.contender.name, points, growth });
    const cells = points.map((point) => `${formatCount(point.waiters)}: ${formatNanos(point.nsPerAcquire)}`);
    console.log(`  ${loaded.contender.name.padEnd(22)} ${cells.join('  ')}  growth ${formatRatio(growth)}`);
  }
  return entries;
}

async function runFill(
  contenders: readonly LoadedContender[],
  url: string,
  config: BenchConfig,
  skips: Skipper,
): Promise<FillEntry[]> {
  console.log(`\n[4] fill — time until minConns are open, minConns = ${config.fillSizes.join(', ')}`);
  const openers: { loaded: LoadedContender; open: ConnectionSetOpener; samples: Map<number, number[]> }[] =
    [];
  for (const loaded of contenders) {
    const open = connectionSetOpener(loaded.contender);
    if (open === undefined) continue;
    try {
      await withTimeout(
        open(url, 10).then((set) => set.close()),
        'warm-up',
      );
      openers.push({ loaded, open, samples: new Map(config.fillSizes.map((size) => [size, []])) });
    } catch (error) {
      skips.skip(loaded, 'fill', error);
    }
  }
  const failed = new Set<string>();
  for (let round = 1; round <= config.scaleRounds; round++) {
    for (const size of config.fillSizes) {
      for (const entry of openers) {
        if (failed.has(entry.loaded.id)) continue;
        collectGarbage();
        try {
          const start = performance.now();
          const set = await withTimeout(entry.open(url, size), `fill of ${size}`);
          entry.samples.get(size)?.push(performance.now() - start);
          await withTimeout(set.close(), 'close');
        } catch (error) {
          failed.add(entry.loaded.id);
          skips.skip(entry.loaded, 'fill', error);
        }
      }
    }
  }
  const largest = config.fillSizes.at(-1) ?? 1;
  const rawSamples = failed.has(RAW_ID)
    ? undefined
    : openers.find((entry) => entry.loaded.id === RAW_ID)?.samples;
  const rawLargest = rawSamples === undefined ? undefined : median(rawSamples.get(largest) ?? []);
  const entries: FillEntry[] = [];
  for (const { loaded, samples } of openers) {
    if (failed.has(loaded.id)) continue;
    const points = config.fillSizes.map((minConns) => ({
      minConns,
      ms: median(samples.get(minConns) ?? []),
    }));
    const growth = ratio(points.at(-1)?.ms, points[0]?.ms);
    const versusRaw = ratio(points.at(-1)?.ms, rawLargest);
    entries.push({ contender: loaded.id, name: loaded.contender.name, points, growth, versusRaw });
    const cells = points.map((point) => `${point.minConns}: ${formatMillis(point.ms)}`);
    console.log(
      `  ${loaded.contender.name.padEnd(22)} ${cells.join('  ')}  growth ${formatRatio(growth)}, ${formatRatio(versusRaw)} raw ws`,
    );
  }
  return entries;
}

const PROBE = fileURLToPath(new URL('../lib/memory-probe.ts', import.meta.url));

interface Probe {
  readonly bytesPerConn: number;
  readonly fillMs: number;
}

async function probeMemory(loaded: LoadedContender, url: string, count: number): Promise<Probe> {
  const child = forkTs(PROBE, [loaded.file, url, String(count)], ['--expose-gc']);
  try {
    return await withTimeout(
      nextMessage(child, (message) => {
        const answer = message as {
          type?: unknown;
          bytesPerConn?: unknown;
          fillMs?: unknown;
          reason?: unknown;
        };
        if (
          answer.type === 'memory' &&
          typeof answer.bytesPerConn === 'number' &&
          typeof answer.fillMs === 'number'
        )
          return { bytesPerConn: answer.bytesPerConn, fillMs: answer.fillMs };
        if (answer.type === 'error') throw new Error(String(answer.reason));
        return undefined;
      }),
      'memory probe',
    );
  } finally {
    await waitForExit(child);
  }
}

async function runMemory(
  contenders: readonly LoadedContender[],
  url: string,
  config: BenchConfig,
  skips: Skipper,
): Promise<MemoryEntry[]> {
  console.log(`\n[4] memory per idle connection — ${config.memoryConns} connections, fresh process each`);
  const candidates = contenders.filter((loaded) => connectionSetOpener(loaded.contender) !== undefined);
  const samples = new Map<string, number[]>(candidates.map((loaded) => [loaded.id, []]));
  const failed = new Set<string>();
  for (let round = 1; round <= config.scaleRounds; round++) {
    for (const loaded of candidates) {
      if (failed.has(loaded.id)) continue;
      try {
        samples.get(loaded.id)?.push((await probeMemory(loaded, url, config.memoryConns)).bytesPerConn);
      } catch (error) {
        failed.add(loaded.id);
        skips.skip(loaded, 'memory', error);
      }
    }
  }
  const measured = candidates.filter((loaded) => !failed.has(loaded.id));
  const raw = samples.get(RAW_ID);
  const rawBytes = raw === undefined || failed.has(RAW_ID) ? undefined : median(raw);
  return measured.map((loaded) => {
    const rounds = samples.get(loaded.id) ?? [];
    const bytesPerConn = median(rounds);
    const extraVsRaw = rawBytes === undefined ? null : bytesPerConn - rawBytes;
    const versus = extraVsRaw === null ? '' : `  extra vs raw ws ${formatBytes(extraVsRaw)}`;
    console.log(`  ${loaded.contender.name.padEnd(22)} ${formatBytes(bytesPerConn)} per connection${versus}`);
    return { contender: loaded.id, name: loaded.contender.name, bytesPerConn, rounds, extraVsRaw };
  });
}

/** The contenders of the at-scale test: wspool's pool against the raw limit. */
const IDLE_IDS: readonly string[] = ['wspool-pool', RAW_ID];

/**
 * Many idle connections in one process (10,000 in a full run) against the bench server in
 * another: fill time and bytes per connection over raw ws. Once per contender, each in a fresh
 * process: a 10,000-socket round costs seconds, and 20,000 sockets a round on a shared machine is
 * load enough.
 */
async function runIdle(
  contenders: readonly LoadedContender[],
  url: string,
  config: BenchConfig,
  skips: Skipper,
): Promise<IdleEntry[]> {
  const count = config.idleConns;
  console.log(`\n[4] ${formatCount(count)} idle connections in one process — fill time and memory`);
  const measured: { loaded: LoadedContender; probe: Probe }[] = [];
  for (const id of IDLE_IDS) {
    const loaded = contenders.find((candidate) => candidate.id === id);
    if (loaded === undefined) continue;
    try {
      measured.push({ loaded, probe: await probeMemory(loaded, url, count) });
    } catch (error) {
      skips.skip(loaded, 'idle', error);
    }
  }
  const raw = measured.find((entry) => entry.loaded.id === RAW_ID)?.probe.bytesPerConn;
  return measured.map(({ loaded, probe }) => {
    const extraVsRaw = raw === undefined ? null : probe.bytesPerConn - raw;
    console.log(
      `  ${loaded.contender.name.padEnd(22)} fill ${formatMillis(probe.fillMs)}  ${formatBytes(probe.bytesPerConn)} per connection  extra vs raw ws ${formatBytes(extraVsRaw)}`,
    );
    return { contender: loaded.id, name: loaded.contender.name, connections: count, ...probe, extraVsRaw };
  });
}

export interface ScaleOutcome {
  readonly result: ScaleResults;
  readonly skipped: readonly Skip[];
}

export async function runScale(
  contenders: readonly LoadedContender[],
  server: BenchServer,
  config: BenchConfig,
): Promise<ScaleOutcome> {
  const skips = skipper();
  const url = server.url('/echo');
  const waiters = await runWaiters(contenders, url, config, skips);
  const fill = await runFill(contenders, url, config, skips);
  const memory = await runMemory(contenders, url, config, skips);
  const idle = await runIdle(contenders, url, config, skips);
  return {
    result: { waiters, fill, memory, memoryConns: config.memoryConns, idle },
    skipped: skips.skipped,
  };
}
