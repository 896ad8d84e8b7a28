/**
 * `npm run bench:smoke` (part of `npm test`): proves the benchmark harness works on this checkout.
 *
 * Runs the whole bench in quick mode (every suite, every contender, ~30 s) in a child process,
 * writing into a temporary directory so `bench/results/` is left alone, then checks what it wrote:
 * no contender skipped or failed, every scenario measured for every contender that offers its
 * shape, every goal measured, and the Markdown and SVG written. It never looks at how fast
 * anything was: speed is what `npm run bench` reports, never what a check asserts.
 *
 * @module
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { forkTs } from './lib/fork-ts.js';
import { GOAL_COUNT } from './lib/goals.js';
import type { BenchResults } from './lib/results.js';

const RUN = fileURLToPath(new URL('./run.ts', import.meta.url));
const RESUBSCRIBE = fileURLToPath(new URL('./resubscribe.ts', import.meta.url));
/** A quick run takes about 30 s; past this it is hung, not slow. */
const TIMEOUT_MS = 300_000;

/** Throughput scenarios and the contender ids each must measure (those offering its shape). */
const EXPECTED: Readonly<Record<string, readonly string[]>> = {
  'acquire-release-c1': ['wspool-pool', 'generic-pool', 'tarn', 'hand-pool'],
  'acquire-release-c100': ['wspool-pool', 'generic-pool', 'tarn', 'hand-pool'],
  'exclusive-echo': [
    'wspool-pool',
    'wspool-withconnection',
    'wspool-exchange',
    'generic-pool',
    'tarn',
    'hand-pool',
    'raw-ws',
    'wspool-connection',
  ],
  'json-rpc': [
    'wspool-jsonrpc',
    'wspool-jsonrpc-1conn',
    'wspool-jsonrpc-batch',
    'raw-ws',
    'viem',
    'ethers',
    'rpc-websockets',
  ],
  notifications: ['wspool-jsonrpc', 'raw-ws'],
};

function check(problems: string[], ok: boolean, problem: string): void {
  if (!ok) problems.push(problem);
}

function inspect(results: BenchResults, markdown: string, svg: string): string[] {
  const problems: string[] = [];
  for (const skip of results.skipped) {
    problems.push(`${skip.name} skipped${skip.scenario ? ` in ${skip.scenario}` : ''}: ${skip.reason}`);
  }
  for (const [id, contenders] of Object.entries(EXPECTED)) {
    const scenario = results.throughput.find((result) => result.id === id);
    if (scenario === undefined) {
      problems.push(`scenario ${id} did not run`);
      continue;
    }
    for (const contender of contenders) {
      const entry = scenario.entries.find((candidate) => candidate.contender === contender);
      check(problems, entry !== undefined, `${id}: ${contender} has no result`);
      if (entry === undefined) continue;
      check(
        problems,
        entry.rounds.length === results.config.rounds && entry.rounds.every((value) => value > 0),
        `${id}: ${contender} measured rounds ${JSON.stringify(entry.rounds)}`,
      );
      if (contender !== scenario.baseline)
        check(problems, entry.ratio !== null, `${id}: ${contender} has no ratio`);
      if (scenario.latency) {
        check(
          problems,
          entry.p50Micros !== null && entry.p99Micros !== null,
          `${id}: ${contender} has no latency`,
        );
      }
    }
  }
  for (const goal of results.goals) check(problems, goal.value !== null, `goal not measured: ${goal.label}`);
  check(
    problems,
    results.goals.length === GOAL_COUNT,
    `expected ${GOAL_COUNT} goals, got ${results.goals.length}`,
  );
  const scale = results.scale;
  check(problems, scale !== null, 'suite 4 (scale) did not run');
  if (scale !== null) {
    check(
      problems,
      scale.waiters.some((entry) => entry.contender === 'wspool-pool'),
      'waiters: no wspool result',
    );
    check(
      problems,
      scale.fill.some((entry) => entry.contender === 'raw-ws'),
      'fill: no raw ws baseline',
    );
    check(
      problems,
      scale.memory.some((entry) => entry.contender === 'wspool-pool'),
      'memory: no wspool result',
    );
    for (const id of ['wspool-pool', 'raw-ws']) {
      check(
        problems,
        scale.idle.some((entry) => entry.contender === id),
        `idle connections at scale: no ${id} result`,
      );
    }
  }
  check(problems, markdown.includes('## Goals'), 'latest.md has no goals table');
  check(problems, svg.trimStart().startsWith('<svg'), 'ratios.svg is not an SVG');
  return problems;
}

/** This process's environment without any `BENCH_*` setting, so the check is the same everywhere. */
function benchFreeEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('BENCH_')));
}

/** How much of the bench's own output a failure shows (its table is noise when all went well). */
const TAIL_LINES = 40;

/**
 * Runs a bench module with `env` (on top of a `BENCH_*`-free environment), its output kept rather
 * than printed; resolves with its exit code and the last lines of its output.
 */
function runBench(module: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; tail: string }> {
  const child = forkTs(module, [], [], { ...benchFreeEnv(), ...env }, 'pipe');
  let output = '';
  const keep = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const tail = (): string => output.trimEnd().split('\n').slice(-TAIL_LINES).join('\n');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${module} did not finish within ${TIMEOUT_MS / 1000} s`));
    }, TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // 'close', not 'exit': the output streams have been read to their end.
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, tail: tail() });
    });
  });
}

async function main(): Promise<void> {
  const outDir = await mkdtemp(join(tmpdir(), 'wspool-bench-smoke-'));
  try {
    const { code, tail } = await runBench(RUN, { BENCH_QUICK: '1', BENCH_OUT: outDir });
    if (code !== 0)
      throw new Error(`bench/run.ts exited with code ${String(code)}; its output ended:\n${tail}`);
    const results = JSON.parse(await readFile(join(outDir, 'latest.json'), 'utf8')) as BenchResults;
    const markdown = await readFile(join(outDir, 'latest.md'), 'utf8');
    const svg = await readFile(join(outDir, 'ratios.svg'), 'utf8');
    const problems = inspect(results, markdown, svg);
    if (problems.length > 0) {
      throw new Error(`the bench ran but its results are incomplete:\n- ${problems.join('\n- ')}`);
    }
    // The restart scenario at a small scale: it fails by itself when a subscription is lost.
    const resubscribe = await runBench(RESUBSCRIBE, { BENCH_RESUBSCRIBE_COUNT: '400', BENCH_OUT: outDir });
    if (resubscribe.code !== 0)
      throw new Error(
        `bench/resubscribe.ts exited with code ${String(resubscribe.code)}; its output ended:\n${resubscribe.tail}`,
      );
    await readFile(join(outDir, 'resubscribe.md'), 'utf8');
    console.log(
      'bench smoke: every suite and contender ran; results, Markdown and SVG written; re-subscribe after a restart lost nothing',
    );
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

await main();
