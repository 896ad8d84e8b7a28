/**
 * The rounds runner for throughput scenarios.
 *
 * Every contender of a scenario is set up once, warmed up once, then measured in rounds that
 * alternate contenders (A, B, C, A, B, C, …) so that drift on the machine (frequency, a noisy
 * neighbour, heap growth) lands on all of them alike. The reported number is the median of the
 * rounds; a full GC runs before every round so one contender's garbage is not collected on the
 * next one's clock. A contender that fails to set up or fails mid-run is dropped from the
 * scenario and reported as skipped; the others carry on.
 *
 * @module
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

import { runClosedLoop, type Workload } from './closed-loop.js';
import type { BenchConfig, SuiteId } from './config.js';
import type { Contender, LoadedContender } from './contender.js';
import { formatRate, formatRatio, formatSpread } from './format.js';
import { collectGarbage } from './gc.js';
import type { Skip, ThroughputEntry, ThroughputResult } from './results.js';
import { median, ratio, reasonOf } from './stats.js';

export interface ThroughputScenario {
  readonly suite: SuiteId;
  /** Stable key in the JSON, e.g. `acquire-release-c1`. */
  readonly id: string;
  readonly title: string;
  /** One line on what is held constant (connections, callers, payload). */
  readonly description: string;
  readonly unit: 'ops/s' | 'req/s';
  /** Contender id every ratio is relative to. */
  readonly baseline: string;
  /** Record per-operation latency (p50/p99) and client CPU per operation. */
  readonly latency: boolean;
  /** The workload factory for `contender`, or `undefined` when it does not take part. */
  prepare(contender: Contender): (() => Promise<Workload>) | undefined;
}

interface Participant {
  readonly loaded: LoadedContender;
  readonly workload: Workload;
  readonly opsPerSecond: number[];
  readonly cpuPerOp: number[];
  readonly histogram: RecordableHistogram | undefined;
  failed: boolean;
}

function newHistogram(): RecordableHistogram {
  // Nanoseconds, 3 significant figures: ample for µs-level percentiles.
  return createHistogram({ lowest: 1, highest: 120e9, figures: 3 });
}

export interface ThroughputOutcome {
  readonly result: ThroughputResult;
  readonly skipped: readonly Skip[];
}

export async function runThroughput(
  scenario: ThroughputScenario,
  contenders: readonly LoadedContender[],
  config: BenchConfig,
): Promise<ThroughputOutcome> {
  console.log(`\n[${scenario.suite}] ${scenario.title} — ${scenario.description}`);
  const skipped: Skip[] = [];
  const skip = (loaded: LoadedContender, error: unknown): void => {
    const reason = reasonOf(error);
    skipped.push({ contender: loaded.id, name: loaded.contender.name, reason, scenario: scenario.id });
    console.log(`  skipped: ${loaded.contender.name} (${reason})`);
  };

  const participants: Participant[] = [];
  for (const loaded of contenders) {
    const start = scenario.prepare(loaded.contender);
    if (start === undefined) continue;
    try {
      const workload = await start();
      // Warm-up: JIT, lazily grown buffers, connections brought up to speed. Not recorded.
      await runClosedLoop(
        workload,
        config.warmupSeconds * 1000,
        scenario.latency ? newHistogram() : undefined,
      );
      participants.push({
        loaded,
        workload,
        opsPerSecond: [],
        cpuPerOp: [],
        histogram: scenario.latency ? newHistogram() : undefined,
        failed: false,
      });
    } catch (error) {
      skip(loaded, error);
    }
  }

  for (let round = 1; round <= config.rounds; round++) {
    process.stdout.write(`  round ${round}/${config.rounds}`);
    for (const participant of participants) {
      if (participant.failed) continue;
      collectGarbage();
      const histogram = participant.histogram === undefined ? undefined : newHistogram();
      try {
        const sample = await runClosedLoop(participant.workload, config.seconds * 1000, histogram);
        participant.opsPerSecond.push(sample.ops / sample.seconds);
        participant.cpuPerOp.push(sample.cpuMicros / Math.max(1, sample.ops));
        if (histogram !== undefined) participant.histogram?.add(histogram);
        process.stdout.write('.');
      } catch (error) {
        participant.failed = true;
        process.stdout.write('\n');
        skip(participant.loaded, error);
      }
    }
    process.stdout.write('\n');
  }

  for (const participant of participants) {
    await participant.workload.close().catch((error: unknown) => {
      console.log(`  note: closing ${participant.loaded.contender.name} failed (${reasonOf(error)})`);
    });
  }

  const measured = participants.filter((participant) => !participant.failed);
  const baseline = measured.find((participant) => participant.loaded.id === scenario.baseline);
  const baselineMedian = baseline === undefined ? undefined : median(baseline.opsPerSecond);
  const entries: ThroughputEntry[] = measured.map((participant) => {
    const rate = median(participant.opsPerSecond);
    const histogram = participant.histogram;
    return {
      contender: participant.loaded.id,
      name: participant.loaded.contender.name,
      median: rate,
      min: Math.min(...participant.opsPerSecond),
      max: Math.max(...participant.opsPerSecond),
      rounds: participant.opsPerSecond,
      ratio: ratio(rate, baselineMedian),
      cpuMicrosPerOp: scenario.latency ? median(participant.cpuPerOp) : null,
      p50Micros: histogram === undefined ? null : histogram.percentile(50) / 1000,
      p99Micros: histogram === undefined ? null : histogram.percentile(99) / 1000,
    };
  });

  const baselineName =
    contenders.find((loaded) => loaded.id === scenario.baseline)?.contender.name ?? scenario.baseline;
  for (const entry of entries) {
    const versus = entry.ratio === null ? '' : `  ${formatRatio(entry.ratio)} ${baselineName}`;
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
