/**
 * The parent side of `workload-process.ts`: one contender's workload in a child process of its
 * own, driven run by run over IPC. See that module for why contenders are isolated.
 *
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import type { LoopSample } from './closed-loop.js';
import type { LoadedContender } from './contender.js';
import { forkTs, nextMessage, waitForExit } from './fork-ts.js';
import type { WorkloadCommand, WorkloadReport } from './workload-process.js';

const ENTRY = fileURLToPath(new URL('./workload-process.ts', import.meta.url));

export interface Latency {
  readonly p50Micros: number | null;
  readonly p99Micros: number | null;
}

export class IsolatedWorkload {
  readonly #child: ChildProcess;

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  /** Forks the process and resolves once `loaded`'s workload for `scenarioId` is set up. */
  static async start(loaded: LoadedContender, scenarioId: string, port: number): Promise<IsolatedWorkload> {
    const child = forkTs(ENTRY, [loaded.file, scenarioId, String(port)]);
    const workload = new IsolatedWorkload(child);
    try {
      await workload.#answer('ready');
    } catch (error) {
      await workload.kill();
      throw error;
    }
    return workload;
  }

  /** One closed-loop run of `ms`; `record` adds its latencies to the reported percentiles. */
  async run(ms: number, record: boolean): Promise<LoopSample> {
    this.#send({ type: 'run', ms, record });
    const { ops, seconds, cpuMicros } = await this.#answer('sample');
    return { ops, seconds, cpuMicros };
  }

  /** Closes the workload; resolves with the recorded runs' latency percentiles, and the process exits. */
  async finish(): Promise<Latency> {
    this.#send({ type: 'finish' });
    const { p50Micros, p99Micros } = await this.#answer('done');
    await waitForExit(this.#child);
    return { p50Micros, p99Micros };
  }

  /** Ends the process whatever state it is in (after a failure). */
  async kill(): Promise<void> {
    this.#child.kill('SIGKILL');
    await waitForExit(this.#child);
  }

  #send(command: WorkloadCommand): void {
    this.#child.send(command);
  }

  #answer<K extends WorkloadReport['type']>(type: K): Promise<Extract<WorkloadReport, { type: K }>> {
    return nextMessage(this.#child, (message) => {
      const reportMessage = message as WorkloadReport;
      if (reportMessage.type === 'failed') throw new Error(reportMessage.reason);
      return reportMessage.type === type
        ? (reportMessage as Extract<WorkloadReport, { type: K }>)
        : undefined;
    });
  }
}
