/**
 * Renders `bench/results/latest.md` from the results: the machine line first, then the goals,
 * then one table per suite. A throughput ratio is the median over rounds of "this contender's round
 * ÷ the baseline's same round", with the range of those per-round ratios beside it; above 1 is
 * faster — except memory and scale growth, where lower is better.
 *
 * @module
 */
import {
  formatBytes,
  formatCount,
  formatMicros,
  formatMillis,
  formatNanos,
  formatRate,
  formatRatio,
  formatRatioRange,
  formatSpread,
} from './format.js';
import { machineLine } from './machine.js';
import type { BenchResults, GoalResult, ScaleResults, ThroughputResult } from './results.js';

function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align?: readonly string[],
): string {
  const escape = (cell: string): string => cell.replaceAll('|', '\\|');
  const lines = [
    `| ${header.map(escape).join(' | ')} |`,
    `| ${(align ?? header.map((_, index) => (index === 0 ? ':--' : '--:'))).join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ];
  return lines.join('\n');
}

function goalValue(goal: GoalResult): string {
  if (goal.value === null) return '—';
  if (goal.unit === 'B') return formatBytes(goal.value);
  if (goal.unit === 'µs') return `${formatMicros(goal.value)} µs`;
  const range =
    goal.min === undefined || goal.max === undefined
      ? ''
      : ` (rounds ${formatRatioRange(goal.min, goal.max)})`;
  return `${formatRatio(goal.value)}${range}`;
}

function goalStatus(goal: GoalResult): string {
  if (goal.met === null) return 'not measured';
  return goal.met ? 'met' : 'not met';
}

function goalsSection(goals: readonly GoalResult[]): string {
  if (goals.length === 0) return '';
  const rows = goals.map((goal) => [goal.label, goalValue(goal), goalStatus(goal)]);
  return `## Goals\n\n${table(['goal', 'measured', 'status'], rows, [':--', '--:', ':--'])}\n`;
}

function throughputTable(results: readonly ThroughputResult[]): string {
  const withScenario = results.length > 1;
  const latency = results.some((result) => result.latency);
  const header = [
    ...(withScenario ? ['scenario'] : []),
    'contender',
    `${results[0]?.unit ?? 'ops/s'} (median)`,
    'spread',
    `× ${results[0]?.baselineName ?? 'baseline'}`,
    'per-round range',
    ...(latency ? ['p50 µs', 'p99 µs', 'client CPU µs/op'] : []),
  ];
  const rows: string[][] = [];
  for (const result of results) {
    if (result.entries.length === 0) {
      rows.push([...(withScenario ? [result.title] : []), '(no contender ran)', '', '', '', '']);
      continue;
    }
    for (const entry of result.entries) {
      rows.push([
        ...(withScenario ? [result.title] : []),
        entry.name,
        formatRate(entry.median),
        formatSpread(entry),
        formatRatio(entry.ratio),
        formatRatioRange(entry.ratioMin, entry.ratioMax),
        ...(latency
          ? [formatMicros(entry.p50Micros), formatMicros(entry.p99Micros), formatMicros(entry.cpuMicrosPerOp)]
          : []),
      ]);
    }
  }
  const align = header.map((_, index) => (index === 0 || (withScenario && index === 1) ? ':--' : '--:'));
  return table(header, rows, align);
}

const SUITE_TITLES: Readonly<Record<string, string>> = {
  '1': '1. Acquire + release of an idle connection (no I/O)',
  '2': '2. Exclusive echo',
  '3': '3. Multiplexed JSON-RPC',
};

function throughputSections(throughput: readonly ThroughputResult[]): string {
  const sections: string[] = [];
  for (const suite of ['1', '2', '3']) {
    const results = throughput.filter((result) => result.suite === suite);
    if (results.length === 0) continue;
    const notes = results.map((result) => `- ${result.title}: ${result.description}.`).join('\n');
    sections.push(`## ${SUITE_TITLES[suite]}\n\n${notes}\n\n${throughputTable(results)}\n`);
  }
  return sections.join('\n');
}

function scaleSection(scale: ScaleResults): string {
  const parts: string[] = ['## 4. Scale\n'];
  const waiterCounts = scale.waiters[0]?.points.map((point) => point.waiters) ?? [];
  if (scale.waiters.length > 0) {
    parts.push(
      '### Acquire with N queued waiters (pool of 1 connection; time per acquire, enqueue + hand-off)\n',
      table(
        [
          'contender',
          ...waiterCounts.map((count) => `${formatCount(count)} waiters`),
          'growth (lower is flatter)',
        ],
        scale.waiters.map((entry) => [
          entry.name,
          ...entry.points.map((point) => formatNanos(point.nsPerAcquire)),
          formatRatio(entry.growth),
        ]),
      ),
      '',
    );
  }
  const fillSizes = scale.fill[0]?.points.map((point) => point.minConns) ?? [];
  const first = fillSizes[0] ?? 1;
  const last = fillSizes.at(-1) ?? 1;
  if (scale.fill.length > 0) {
    parts.push(
      '### Fill: time until `minConns` connections are open\n',
      table(
        [
          'contender',
          ...fillSizes.map((size) => `minConns ${size}`),
          `growth ${first} → ${last} (serial ≈ ${last / first}×)`,
          `× raw ws at ${last}`,
        ],
        scale.fill.map((entry) => [
          entry.name,
          ...entry.points.map((point) => formatMillis(point.ms)),
          formatRatio(entry.growth),
          formatRatio(entry.versusRaw),
        ]),
      ),
      '',
    );
  }
  if (scale.memory.length > 0) {
    parts.push(
      `### Memory per idle connection (${scale.memoryConns} open, heap + external, fresh process each)\n`,
      table(
        ['contender', 'per connection', 'extra vs raw ws'],
        scale.memory.map((entry) => [
          entry.name,
          formatBytes(entry.bytesPerConn),
          formatBytes(entry.extraVsRaw),
        ]),
      ),
      '',
    );
  }
  if (scale.idle.length > 0) {
    parts.push(
      `### ${formatCount(scale.idle[0]?.connections ?? 0)} idle connections in one process (server in another; fill and heap + external)\n`,
      table(
        ['contender', 'fill', 'per connection', 'extra vs raw ws'],
        scale.idle.map((entry) => [
          entry.name,
          formatMillis(entry.fillMs),
          formatBytes(entry.bytesPerConn),
          formatBytes(entry.extraVsRaw),
        ]),
      ),
      '',
    );
  }
  return parts.join('\n');
}

function latencySection(throughput: readonly ThroughputResult[]): string {
  const rows: string[][] = [];
  for (const result of throughput) {
    if (!result.latency) continue;
    for (const entry of result.entries) {
      rows.push([
        `${result.suite}. ${result.title}`,
        entry.name,
        formatMicros(entry.p50Micros),
        formatMicros(entry.p99Micros),
      ]);
    }
  }
  if (rows.length === 0) return '';
  return [
    '## 5. Latency (p50 / p99, all measured rounds, `perf_hooks.createHistogram`)\n',
    'Per operation as the caller sees it, queueing for a connection included.\n',
    table(['suite', 'contender', 'p50 µs', 'p99 µs'], rows, [':--', ':--', '--:', '--:']),
    '',
  ].join('\n');
}

export function renderMarkdown(results: BenchResults): string {
  const { config } = results;
  const skipped =
    results.skipped.length === 0
      ? ''
      : `\nSkipped:\n\n${results.skipped
          .map(
            (skip) =>
              `- ${skip.name}${skip.scenario === undefined ? '' : ` in ${skip.scenario}`}: ${skip.reason}`,
          )
          .join('\n')}\n`;
  const header = [
    '# wspool benchmark results',
    '',
    `**Machine:** ${machineLine(results.machine)}; load average ${results.machine.loadAverage} at the start`,
    '',
    `**Run:** ${results.startedAt}, ${config.quick ? 'quick mode, ' : ''}${config.rounds} rounds × ${config.seconds} s per contender ` +
      `(warm-up ${config.warmupSeconds.toFixed(2)} s), median of rounds, contenders alternating each round; ` +
      `scale tests ${config.scaleRounds} round(s). Took ${Math.round(results.durationSeconds)} s.`,
    '',
    'A throughput ratio is the median over rounds of a contender’s round ÷ the baseline’s round of the same ' +
      'number (throughput: higher is better); the per-round range is beside it. ' +
      'Client and server run in separate processes, one core each.',
    skipped,
    '![Throughput ratios](ratios.svg)',
    '',
  ].join('\n');
  return [
    header,
    goalsSection(results.goals),
    throughputSections(results.throughput),
    results.scale === null ? '' : scaleSection(results.scale),
    latencySection(results.throughput),
  ]
    .filter((part) => part !== '')
    .join('\n');
}
