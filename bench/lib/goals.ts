/**
 * The targets for wspool, checked against the measured numbers.
 *
 * Reported, never asserted: a missed goal is a line in the report, not a failing exit code.
 * A goal whose subject or reference did not run is reported as not measured.
 *
 * @module
 */
import type { GoalResult, ScaleResults, ThroughputResult } from './results.js';
import { pairedRatio } from './stats.js';

interface ThroughputGoal {
  readonly kind: 'throughput';
  readonly scenario: string;
  readonly subject: string;
  readonly versus: string;
  readonly atLeast: number;
}

interface ScaleGoal {
  readonly kind: 'memory-extra' | 'waiters-growth' | 'fill-vs-raw';
  readonly subject: string;
  /** Upper bound: inclusive for growth ratios, exclusive for memory (the issue says "< 2 KB"). */
  readonly atMost: number;
}

type Goal = ThroughputGoal | ScaleGoal;

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
  { kind: 'throughput', scenario: 'json-rpc', subject: 'wspool-jsonrpc', versus: 'raw-ws', atLeast: 0.9 },
  {
    kind: 'throughput',
    scenario: 'notifications',
    subject: 'wspool-jsonrpc',
    versus: 'raw-ws',
    atLeast: 0.85,
  },
  // The issue asks for "flat" and "parallel" without a number; these thresholds are the
  // harness's reading. Waiters: at most 3× from 1k to 100k (100k pending promises cost some GC
  // even on an O(1) queue — generic-pool's linked list measures 1.3–3×; tarn's Array#shift 10×+).
  // Fill: 100 connections within 2× of raw ws opening 100 at once (a serial fill is ~6× or worse).
  { kind: 'waiters-growth', subject: 'wspool-pool', atMost: 3 },
  { kind: 'fill-vs-raw', subject: 'wspool-pool', atMost: 2 },
  // The issue's: < 2 KB extra per idle pooled connection.
  { kind: 'memory-extra', subject: 'wspool-pool', atMost: 2048 },
];

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
      const value = pairedRatio(subject?.rounds, versus?.rounds)?.median ?? null;
      results.push({
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
    if (scale === null) continue;
    let value: number | null = null;
    let label: string;
    const comparison = goal.kind === 'memory-extra' ? '<' : '<=';
    if (goal.kind === 'memory-extra') {
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
      unit: goal.kind === 'memory-extra' ? 'B' : 'x',
      value,
      met: met(value, comparison, goal.atMost),
    });
  }
  return results;
}
