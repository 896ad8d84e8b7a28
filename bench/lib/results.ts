/**
 * The shape of `bench/results/latest.json`: every number the Markdown table and the chart show,
 * plus each round's raw value, so a reader can recompute anything.
 *
 * @module
 */
import type { BenchConfig } from './config.js';
import type { Machine } from './machine.js';

/** A contender that could not run, and why (import failure, setup failure, or a failed run). */
export interface Skip {
  readonly contender: string;
  readonly name: string;
  readonly reason: string;
  /** Scenario it was skipped in, or `undefined` when its module did not load at all. */
  readonly scenario?: string;
}

export interface ThroughputEntry {
  readonly contender: string;
  readonly name: string;
  /** Median over rounds, operations per second. */
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Operations per second of each measured round, in run order. */
  readonly rounds: readonly number[];
  /**
   * Median over rounds of `this round / the baseline's same round` (see `pairedRatio`), or `null`
   * when the baseline did not run.
   */
  readonly ratio: number | null;
  /** Lowest and highest per-round ratio; `null` with `ratio`. */
  readonly ratioMin: number | null;
  readonly ratioMax: number | null;
  /** Client CPU (user + system) per operation, median over rounds, µs; latency scenarios only. */
  readonly cpuMicrosPerOp: number | null;
  /** Latency over all measured rounds, µs; latency scenarios only. */
  readonly p50Micros: number | null;
  readonly p99Micros: number | null;
}

export interface ThroughputResult {
  readonly suite: string;
  readonly id: string;
  readonly title: string;
  readonly unit: string;
  /** Contender id the ratios are relative to. */
  readonly baseline: string;
  readonly baselineName: string;
  /** Callers kept busy (per contender when it differs, see `callers`). */
  readonly description: string;
  readonly latency: boolean;
  readonly entries: readonly ThroughputEntry[];
}

export interface GoalResult {
  readonly suite: string;
  /** Throughput goals: the scenario id, subject and reference contender ids (the chart marks them). */
  readonly scenario?: string;
  readonly subject: string;
  readonly versus?: string;
  /** Human wording, e.g. `wspool Pool ≥ 2.5× generic-pool + ws (acquire + release, c=1)`. */
  readonly label: string;
  readonly comparison: '>=' | '<=' | '<';
  readonly target: number;
  readonly unit: 'x' | 'B' | 'µs';
  /** Throughput goals: lowest and highest per-round ratio (the value is their median). */
  readonly min?: number;
  readonly max?: number;
  /** CPU goals against peers: the peer with the lowest CPU per request. */
  readonly cpuVersus?: string;
  /** Measured value, or `null` when a side did not run. */
  readonly value: number | null;
  readonly met: boolean | null;
}

export interface WaitersEntry {
  readonly contender: string;
  readonly name: string;
  /** Median ns per acquire (enqueue + hand-off) for each waiter count. */
  readonly points: readonly { readonly waiters: number; readonly nsPerAcquire: number }[];
  /** ns per acquire at the largest count ÷ at the smallest: ~1 when the queue is O(1). */
  readonly growth: number | null;
}

export interface FillEntry {
  readonly contender: string;
  readonly name: string;
  /** Median ms until `minConns` connections are open. */
  readonly points: readonly { readonly minConns: number; readonly ms: number }[];
  /** ms at the largest `minConns` ÷ at 1: well below N when dials run in parallel, ~N when serial. */
  readonly growth: number | null;
  /** ms at the largest `minConns` ÷ raw ws opening as many sockets with `Promise.all` (the limit). */
  readonly versusRaw: number | null;
}

export interface MemoryEntry {
  readonly contender: string;
  readonly name: string;
  /** Median bytes of heap + external memory per open idle connection. */
  readonly bytesPerConn: number;
  readonly rounds: readonly number[];
  /** `bytesPerConn` minus raw ws's, or `null` when raw ws did not run. */
  readonly extraVsRaw: number | null;
}

export interface IdleEntry {
  readonly contender: string;
  readonly name: string;
  /** Connections held open and idle in one process. */
  readonly connections: number;
  /** ms until all of them were open (the pool's `minConns` fill, or raw ws's `Promise.all`). */
  readonly fillMs: number;
  /** Bytes of heap + external memory per connection. */
  readonly bytesPerConn: number;
  /** `bytesPerConn` minus raw ws's at the same count, or `null` when raw ws did not run. */
  readonly extraVsRaw: number | null;
}

export interface ScaleResults {
  readonly waiters: readonly WaitersEntry[];
  readonly fill: readonly FillEntry[];
  readonly memory: readonly MemoryEntry[];
  readonly memoryConns: number;
  /** Many idle connections in one process (10,000; fewer in quick mode). */
  readonly idle: readonly IdleEntry[];
}

export interface BenchResults {
  readonly machine: Machine;
  readonly config: BenchConfig;
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly contenders: readonly { readonly id: string; readonly name: string }[];
  readonly skipped: readonly Skip[];
  readonly throughput: readonly ThroughputResult[];
  readonly goals: readonly GoalResult[];
  readonly scale: ScaleResults | null;
}
