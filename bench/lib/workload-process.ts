/**
 * Child process that holds one contender's workload for one throughput scenario and runs the
 * closed loop when the parent says so (see `isolated.ts`, the parent side).
 *
 * Each contender gets a process of its own so that what one library does to the JIT and the heap
 * cannot slow another: in one shared process the `ws` internals, the closed loop's call sites
 * and the harness's `TextLink` see every contender's objects and turn polymorphic, and one
 * contender's garbage is collected on the next one's clock. The parent still alternates the
 * contenders round by round, and only one process runs load at a time; the others wait, idle.
 *
 * argv: `<contender module path> <scenario id> <server port>`.
 * Parent → child: `{ type: 'run', ms, record }`, then `{ type: 'finish' }`.
 * Child → parent: `{ type: 'ready' }` once the workload is set up; `{ type: 'sample', ops, seconds,
 * cpuMicros }` after each run; `{ type: 'done', p50Micros, p99Micros }` after finish (null without
 * latency); `{ type: 'failed', reason }` on any error, after which it exits.
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

import { throughputScenarios, serverUrl } from '../suites/index.js';
import { runClosedLoop, type Workload } from './closed-loop.js';
import { loadContender } from './discover.js';
import { sendToParent } from './fork-ts.js';
import { collectGarbage } from './gc.js';
import { reasonOf } from './stats.js';

export type WorkloadCommand = { type: 'run'; ms: number; record: boolean } | { type: 'finish' };

export type WorkloadReport =
  | { type: 'ready' }
  | { type: 'sample'; ops: number; seconds: number; cpuMicros: number }
  | { type: 'done'; p50Micros: number | null; p99Micros: number | null }
  | { type: 'failed'; reason: string };

function newHistogram(): RecordableHistogram {
  // Nanoseconds, 3 significant figures: ample for µs-level percentiles.
  return createHistogram({ lowest: 1, highest: 120e9, figures: 3 });
}

function report(message: WorkloadReport): Promise<void> {
  return sendToParent(message);
}

async function setUp(
  file: string,
  scenarioId: string,
  port: number,
): Promise<{ workload: Workload; latency: boolean }> {
  const contender = await loadContender(file);
  const scenario = throughputScenarios(serverUrl(port), ['1', '2', '3']).find((s) => s.id === scenarioId);
  if (scenario === undefined)
    throw new Error(`no throughput scenario has the id ${JSON.stringify(scenarioId)}`);
  const start = scenario.prepare(contender);
  if (start === undefined) throw new Error(`the contender does not take part in ${scenarioId}`);
  return { workload: await start(), latency: scenario.latency };
}

async function main(): Promise<void> {
  const [file, scenarioId, portText] = process.argv.slice(2);
  if (process.send === undefined) throw new Error('workload-process must be forked with an IPC channel');
  if (file === undefined || scenarioId === undefined || portText === undefined) {
    throw new Error('usage: workload-process <contender module> <scenario id> <server port>');
  }
  const { workload, latency } = await setUp(file, scenarioId, Number(portText));
  const total = latency ? newHistogram() : undefined;
  // One command at a time: the parent waits for each answer before it sends the next.
  let queue = Promise.resolve();
  process.on('message', (message: WorkloadCommand) => {
    queue = queue
      .then(async () => {
        if (message.type === 'run') {
          collectGarbage(); // the previous run's garbage is not collected on this run's clock
          const histogram = total === undefined ? undefined : newHistogram();
          const sample = await runClosedLoop(workload, message.ms, histogram);
          if (message.record && histogram !== undefined) total?.add(histogram);
          await report({ type: 'sample', ...sample });
        } else {
          await workload.close();
          await report({
            type: 'done',
            p50Micros: total === undefined ? null : total.percentile(50) / 1000,
            p99Micros: total === undefined ? null : total.percentile(99) / 1000,
          });
          process.disconnect();
        }
      })
      .catch(fail);
  });
  await report({ type: 'ready' });
}

function fail(error: unknown): void {
  void report({ type: 'failed', reason: reasonOf(error) }).finally(() => process.exit(1));
}

main().catch(fail);
