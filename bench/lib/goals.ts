/**
 * The issue's targets for wspool, checked against the measured numbers.
 *
 * Reported, never asserted: a missed goal is a line in the report, not a failing exit code.
 * A goal whose subject or reference did not run is reported as not measured.
 *
 * @module
 */
import { formatCount } from './format.js';
import type { GoalResult, ScaleResults, ThroughputResult } from './results.js';
import { pairedRatio } from './stats.js';

interface ThroughputGoal {
  readonly kind: 'throughput';
  readonly scenario: string;
  readonly subject: string;
  readonly versus: string;
  readonly atLeast: number;
}

/** Client CPU per request of `subject`, against the lowest of `peers` (median µs per request). */
interface CpuVersusPeersGoal {
  readonly kind: 'cpu-vs-peers';
  readonly scenario: string;
  readonly subject: string;
  readonly peers: readonly string[];
  readonly atMost: number;
}

/** Client CPU per request of `subject`, in µs (median over rounds). */
interface CpuGoal {
  readonly kind: 'cpu-micros';
  readonly scenario: string;
  readonly subject: string;
  readonly atMost: number;
}

interface ScaleGoal {
  readonly kind: 'memory-extra' | 'idle-extra' | 'waiters-growth' | 'fill-vs-raw';
  readonly subject: string;
  /** Upper bound: inclusive for growth ratios, exclusive for memory (the issue says "< 2 KB"). */
  readonly atMost: number;
}

type Goal = ThroughputGoal | CpuVersusPeersGoal | CpuGoal | ScaleGoal;

/** The JSON-RPC clients people use instead of wspool (one socket each). */
const RPC_PEERS = ['viem', 'ethers', 'rpc-websockets'] as const;

const GOALS: readonly Goal[] = [
  {
    kind: 'throughput',
    scenario: 'acquire-release-c1',
    subject: 'wspool-pool',
    versus: 'generic-pool',
    atLeast: 2.5,
  },
  {
    kind: 'throughput',
    scenario: 'acquire-release-c100',
    subject: 'wspool-pool',
    versus: 'generic-pool',
    atLeast: 2.5,
  },
  { kind: 'throughput', scenario: 'exclusive-echo', subject: 'wspool-pool', versus: 'raw-ws', atLeast: 0.95 },
  {
    kind: 'throughput',
    scenario: 'exclusive-echo',
    subject: 'wspool-pool',
    versus: 'generic-pool',
    atLeast: 1.05,
  },
  // Issue 18: exchange(), the one-call path, against the raw limit.
  {
    kind: 'throughput',
    scenario: 'exclusive-echo',
    subject: 'wspool-exchange',
    versus: 'raw-ws',
    atLeast: 0.97,
  },
  // Issue 18: the one-call path a user writes, against any pool at all and against generic-pool.
  {
    kind: 'throughput',
    scenario: 'exclusive-echo',
    subject: 'wspool-withconnection',
    versus: 'hand-pool',
    atLeast: 1.0,
  },
  {
    kind: 'throughput',
    scenario: 'exclusive-echo',
    subject: 'wspool-withconnection',
    versus: 'generic-pool',
    atLeast: 1.1,
  },
  { kind: 'throughput', scenario: 'json-rpc', subject: 'wspool-jsonrpc', versus: 'raw-ws', atLeast: 0.9 },
  {
    kind: 'throughput',
    scenario: 'notifications',
    subject: 'wspool-jsonrpc',
    versus: 'raw-ws',
    atLeast: 0.85,
  },
  // Against the clients people pick instead (issue 18), and what batching buys.
  { kind: 'throughput', scenario: 'json-rpc', subject: 'wspool-jsonrpc', versus: 'viem', atLeast: 2 },
  { kind: 'throughput', scenario: 'json-rpc', subject: 'wspool-jsonrpc', versus: 'ethers', atLeast: 1.5 },
  {
    kind: 'throughput',
    scenario: 'json-rpc',
    subject: 'wspool-jsonrpc',
    versus: 'rpc-websockets',
    atLeast: 1.2,
  },
  { kind: 'cpu-vs-peers', scenario: 'json-rpc', subject: 'wspool-jsonrpc', peers: RPC_PEERS, atMost: 0.8 },
  { kind: 'throughput', scenario: 'notifications', subject: 'wspool-jsonrpc', versus: 'viem', atLeast: 2 },
  {
    kind: 'throughput',
    scenario: 'json-rpc',
    subject: 'wspool-jsonrpc-batch',
    versus: 'wspool-jsonrpc',
    atLeast: 5,
  },
  { kind: 'cpu-micros', scenario: 'json-rpc', subject: 'wspool-jsonrpc-batch', atMost: 2 },
  // The issue asks for "flat" and "parallel" without a number; these thresholds are the
  // harness's reading. Waiters: at most 3× from 1k to 100k (100k pending promises cost some GC
  // even on an O(1) queue — generic-pool's linked list measures 1.3–3×; tarn's Array#shift 10×+).
  // Fill: 100 connections within 2× of raw ws opening 100 at once (a serial fill is ~6× or worse).
  { kind: 'waiters-growth', subject: 'wspool-pool', atMost: 3 },
  { kind: 'fill-vs-raw', subject: 'wspool-pool', atMost: 2 },
  // The issue's: < 2 KB extra per idle pooled connection.
  { kind: 'memory-extra', subject: 'wspool-pool', atMost: 2048 },
  // Issue 18: the same bound with 10,000 idle connections in one process.
  { kind: 'idle-extra', subject: 'wspool-pool', atMost: 2048 },
];

/** How many goals a complete run reports (the smoke check counts them). */
export const GOAL_COUNT = GOALS.length;

function cpuOf(scenario: ThroughputResult, id: string): number | null {
  return scenario.entries.find((entry) => entry.contender === id)?.cpuMicrosPerOp ?? null;
}

function cpuGoal(
  scenario: ThroughputResult,
  goal: CpuVersusPeersGoal | CpuGoal,
  nameOf: (id: string) => string,
): GoalResult {
  const subject = cpuOf(scenario, goal.subject);
  let value: number | null = subject;
  let label = `${scenario.title}: ${nameOf(goal.subject)} client CPU ≤ ${goal.atMost} µs per call`;
  let versus: string | undefined;
  if (goal.kind === 'cpu-vs-peers') {
    const peers = goal.peers
      .map((id) => ({ id, cpu: cpuOf(scenario, id) }))
      .filter((peer): peer is { id: string; cpu: number } => peer.cpu !== null);
    // Every peer must have run: "the best peer" of a partial set would flatter the subject.
    const best = peers.length === goal.peers.length ? peers.sort((a, b) => a.cpu - b.cpu)[0] : undefined;
    versus = best?.id;
    value = subject === null || best === undefined ? null : subject / best.cpu;
    label = `${scenario.title}: ${nameOf(goal.subject)} client CPU per request ≤ ${goal.atMost}× the best peer's${best === undefined ? '' : ` (${nameOf(best.id)})`}`;
  }
  return {
    suite: scenario.suite,
    subject: goal.subject,
    ...(versus === undefined ? {} : { cpuVersus: versus }),
    label,
    comparison: '<=',
    target: goal.atMost,
    unit: goal.kind === 'cpu-vs-peers' ? 'x' : 'µs',
    value,
    met: met(value, '<=', goal.atMost),
  };
}

function met(value: number | null, comparison: GoalResult['comparison'], target: number): boolean | null {
  if (value === null) return null;
  if (comparison === '>=') return value >= target;
  return comparison === '<=' ? value <= target : value < target;
}

export function evaluateGoals(
  throughput: readonly ThroughputResult[],
  scale: ScaleResults | null,
  names: ReadonlyMap<string, string>,
): GoalResult[] {
  const nameOf = (id: string): string => names.get(id) ?? id;
  const results: GoalResult[] = [];
  for (const goal of GOALS) {
    if (goal.kind === 'throughput') {
      const scenario = throughput.find((result) => result.id === goal.scenario);
      if (scenario === undefined) continue;
      const subject = scenario.entries.find((entry) => entry.contender === goal.subject);
      const versus = scenario.entries.find((entry) => entry.contender === goal.versus);
      const paired = pairedRatio(subject?.rounds, versus?.rounds);
      const value = paired?.median ?? null;
      results.push({
        ...(paired === null ? {} : { min: paired.min, max: paired.max }),
        suite: scenario.suite,
        scenario: scenario.id,
        subject: goal.subject,
        versus: goal.versus,
        label: `${scenario.title}: ${nameOf(goal.subject)} ≥ ${goal.atLeast}× ${nameOf(goal.versus)}`,
        comparison: '>=',
        target: goal.atLeast,
        unit: 'x',
        value,
        met: met(value, '>=', goal.atLeast),
      });
      continue;
    }
    if (goal.kind === 'cpu-vs-peers' || goal.kind === 'cpu-micros') {
      const scenario = throughput.find((result) => result.id === goal.scenario);
      if (scenario !== undefined) results.push(cpuGoal(scenario, goal, nameOf));
      continue;
    }
    if (scale === null) continue;
    let value: number | null = null;
    let label: string;
    const bytes = goal.kind === 'memory-extra' || goal.kind === 'idle-extra';
    const comparison = bytes ? '<' : '<=';
    if (goal.kind === 'idle-extra') {
      const entry = scale.idle.find((candidate) => candidate.contender === goal.subject);
      value = entry?.extraVsRaw ?? null;
      label = `${formatCount(entry?.connections ?? 0)} idle connections: ${nameOf(goal.subject)} per connection < raw ws + ${goal.atMost / 1024} KB`;
    } else if (goal.kind === 'memory-extra') {
      value = scale.memory.find((entry) => entry.contender === goal.subject)?.extraVsRaw ?? null;
      label = `memory: ${nameOf(goal.subject)} per idle connection < raw ws + ${goal.atMost / 1024} KB`;
    } else if (goal.kind === 'waiters-growth') {
      value = scale.waiters.find((entry) => entry.contender === goal.subject)?.growth ?? null;
      label = `waiters: ${nameOf(goal.subject)} acquire cost flat from 1k to 100k waiters (≤ ${goal.atMost}×)`;
    } else {
      value = scale.fill.find((entry) => entry.contender === goal.subject)?.versusRaw ?? null;
      label = `fill: ${nameOf(goal.subject)} minConns 100 within ${goal.atMost}× of raw ws opening 100 at once (parallel)`;
    }
    results.push({
      suite: '4',
      subject: goal.subject,
      label,
      comparison,
      target: goal.atMost,
      unit: bytes ? 'B' : 'x',
      value,
      met: met(value, comparison, goal.atMost),
    });
  }
  return results;
}
