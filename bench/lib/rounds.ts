/**
 * The rounds runner for throughput scenarios.
 *
 * Every contender of a scenario runs in a process of its own (`isolated.ts`), set up and warmed
 * up once, then measured in rounds that alternate contenders (A, B, C, A, B, C, …) so that drift
 * on the machine (frequency, a noisy neighbour) lands on all of them alike; one process runs load
 * at a time. The reported rate is the median of the rounds; a ratio is the median of per-round
 * ratios (round i against the baseline's round i, see `pairedRatio`). Each process runs a full GC
 * before every round. A contender that fails to set up or fails mid-run is dropped from the scenario and
 * reported as skipped; the others carry on.
 *
 * @module
 */
import type { Workload } from './closed-loop.js';
import type { BenchConfig, SuiteId } from './config.js';
import type { Contender, LoadedContender } from './contender.js';
import { formatRate, formatRatio, formatRatioRange, formatSpread } from './format.js';
import { IsolatedWorkload, type Latency } from './isolated.js';
import type { Skip, ThroughputEntry, ThroughputResult } from './results.js';
import { median, pairedRatio, reasonOf } from './stats.js';

export interface ThroughputScenario {
  readonly suite: SuiteId;
  /** Stable key in the JSON, e.g. `acquire-release-c1`. */
  readonly id: string;
  readonly title: string;
  /** One line on what is held constant (connections, callers, payload). */
  readonly description: string;
  readonly unit: 'ops/s' | 'req/s' | 'notif/s';
  /** Contender id every ratio is relative to. */
  readonly baseline: string;
  /** Record per-operation latency (p50/p99) and client CPU per operation. */
  readonly latency: boolean;
  /** The workload factory for `contender`, or `undefined` when it does not take part. */
  prepare(contender: Contender): (() => Promise<Workload>) | undefined;
}

interface Participant {
  readonly loaded: LoadedContender;
  readonly workload: IsolatedWorkload;
  readonly opsPerSecond: number[];
  readonly cpuPerOp: number[];
  latency: Latency | undefined;
  failed: boolean;
}

export interface ThroughputOutcome {
  readonly result: ThroughputResult;
  readonly skipped: readonly Skip[];
}

/** Runs `scenario` for every contender that takes part, against the bench server on `port`. */
export async function runThroughput(
  scenario: ThroughputScenario,
  contenders: readonly LoadedContender[],
  config: BenchConfig,
  port: number,
): Promise<ThroughputOutcome> {
  console.log(`\n[${scenario.suite}] ${scenario.title} — ${scenario.description}`);
  const skipped: Skip[] = [];
  const skip = (loaded: LoadedContender, error: unknown): void => {
    const reason = reasonOf(error);
    skipped.push({ contender: loaded.id, name: loaded.contender.name, reason, scenario: scenario.id });
    console.log(`  skipped: ${loaded.contender.name} (${reason})`);
  };

  // Set up in parallel (process start-up is mostly waiting), warm up one at a time.
  const taking = contenders.filter((loaded) => scenario.prepare(loaded.contender) !== undefined);
  const started = await Promise.allSettled(
    taking.map((loaded) => IsolatedWorkload.start(loaded, scenario.id, port)),
  );
  const participants: Participant[] = [];
  for (const [index, outcome] of started.entries()) {
    const loaded = taking[index] as LoadedContender;
    if (outcome.status === 'rejected') {
      skip(loaded, outcome.reason);
      continue;
    }
    try {
      // Warm-up: JIT, lazily grown buffers, connections brought up to speed. Not recorded.
      await outcome.value.run(config.warmupSeconds * 1000, false);
      participants.push({
        loaded,
        workload: outcome.value,
        opsPerSecond: [],
        cpuPerOp: [],
        latency: undefined,
        failed: false,
      });
    } catch (error) {
      skip(loaded, error);
      await outcome.value.kill();
    }
  }

  for (let round = 1; round <= config.rounds; round++) {
    process.stdout.write(`  round ${round}/${config.rounds}`);
    for (const participant of participants) {
      if (participant.failed) continue;
      try {
        const sample = await participant.workload.run(config.seconds * 1000, true);
        participant.opsPerSecond.push(sample.ops / sample.seconds);
        participant.cpuPerOp.push(sample.cpuMicros / Math.max(1, sample.ops));
        process.stdout.write('.');
      } catch (error) {
        participant.failed = true;
        process.stdout.write('\n');
        skip(participant.loaded, error);
        await participant.workload.kill();
      }
    }
    process.stdout.write('\n');
  }

  for (const participant of participants) {
    if (participant.failed) continue;
    try {
      participant.latency = await participant.workload.finish();
    } catch (error) {
      console.log(`  note: closing ${participant.loaded.contender.name} failed (${reasonOf(error)})`);
      await participant.workload.kill();
    }
  }

  const measured = participants.filter((participant) => !participant.failed);
  const baseline = measured.find((participant) => participant.loaded.id === scenario.baseline);
  const entries: ThroughputEntry[] = measured.map((participant) => {
    const rate = median(participant.opsPerSecond);
    const versus = pairedRatio(participant.opsPerSecond, baseline?.opsPerSecond);
    return {
      contender: participant.loaded.id,
      name: participant.loaded.contender.name,
      median: rate,
      min: Math.min(...participant.opsPerSecond),
      max: Math.max(...participant.opsPerSecond),
      rounds: participant.opsPerSecond,
      ratio: versus?.median ?? null,
      ratioMin: versus?.min ?? null,
      ratioMax: versus?.max ?? null,
      cpuMicrosPerOp: scenario.latency ? median(participant.cpuPerOp) : null,
      p50Micros: participant.latency?.p50Micros ?? null,
      p99Micros: participant.latency?.p99Micros ?? null,
    };
  });

  const baselineName =
    contenders.find((loaded) => loaded.id === scenario.baseline)?.contender.name ?? scenario.baseline;
  for (const entry of entries) {
    const versus =
      entry.ratio === null
        ? ''
        : `  ${formatRatio(entry.ratio)} ${baselineName} (rounds ${formatRatioRange(entry.ratioMin, entry.ratioMax)})`;
    console.log(
      `  ${entry.name.padEnd(22)} ${formatRate(entry.median).padStart(9)} ${scenario.unit}  ${formatSpread(entry)}${versus}`,
    );
  }

  return {
    result: {
      suite: scenario.suite,
      id: scenario.id,
      title: scenario.title,
      unit: scenario.unit,
      baseline: scenario.baseline,
      baselineName,
      description: scenario.description,
      latency: scenario.latency,
      entries,
    },
    skipped,
  };
}
