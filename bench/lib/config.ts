/**
 * Run settings, from the environment.
 *
 * | variable | default | quick (`BENCH_QUICK=1`) | meaning |
 * |---|---|---|---|
 * | `BENCH_ROUNDS` | `5` | `2` | measured rounds per contender (median reported) |
 * | `BENCH_SECONDS` | `1.5` | `0.25` | length of one measured round |
 * | `BENCH_SUITES` | `1,2,3,4` | same | which suites to run (5, latency, comes with 2 and 3) |
 * | `BENCH_CONTENDERS` | all | same | only these contender ids (file names in bench/contenders/) |
 * | `BENCH_OUT` | `bench/results` | same | where the Markdown, JSON and SVG are written |
 *
 * Warm-up is a third of a round (at least 0.1 s). Scale tests (suite 4) run
 * `min(rounds, 3)` rounds (1 in quick mode) and the memory probe opens 1000 sockets (200 quick);
 * the at-scale test holds 10,000 idle connections (500 quick), once per contender.
 *
 * @module
 */

export type SuiteId = '1' | '2' | '3' | '4';

export interface BenchConfig {
  readonly quick: boolean;
  readonly rounds: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly suites: readonly SuiteId[];
  /** Contender ids to run; `undefined` = every module in bench/contenders/. */
  readonly contenders: readonly string[] | undefined;
  /** Directory the results are written to; `undefined` = bench/results/. */
  readonly outDir: string | undefined;
  readonly scaleRounds: number;
  /** Queued acquires for the waiters test. */
  readonly waiters: readonly number[];
  /** `minConns` values for the fill test. */
  readonly fillSizes: readonly number[];
  /** Sockets each memory probe opens. */
  readonly memoryConns: number;
  /** Idle connections the at-scale test holds in one process (wspool and raw ws only). */
  readonly idleConns: number;
}

const ALL_SUITES: readonly SuiteId[] = ['1', '2', '3', '4'];

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number, integer: boolean): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(
      `${name} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

function suites(env: NodeJS.ProcessEnv): SuiteId[] {
  const raw = env['BENCH_SUITES'];
  if (raw === undefined || raw.trim() === '') return [...ALL_SUITES];
  const picked = raw.split(',').map((part) => part.trim());
  for (const id of picked) {
    if (!(ALL_SUITES as readonly string[]).includes(id)) {
      throw new Error(`BENCH_SUITES takes a comma-separated list of 1, 2, 3, 4; got ${JSON.stringify(raw)}`);
    }
  }
  return ALL_SUITES.filter((id) => picked.includes(id));
}

function list(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  return raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const quick = env['BENCH_QUICK'] === '1' || env['BENCH_QUICK'] === 'true';
  const rounds = positive(env, 'BENCH_ROUNDS', quick ? 2 : 5, true);
  const seconds = positive(env, 'BENCH_SECONDS', quick ? 0.25 : 1.5, false);
  return {
    quick,
    rounds,
    seconds,
    warmupSeconds: Math.max(0.1, seconds / 3),
    suites: suites(env),
    contenders: list(env['BENCH_CONTENDERS']),
    outDir: env['BENCH_OUT'] === undefined || env['BENCH_OUT'] === '' ? undefined : env['BENCH_OUT'],
    scaleRounds: quick ? 1 : Math.min(rounds, 3),
    waiters: [1_000, 10_000, 100_000],
    fillSizes: [1, 10, 100],
    memoryConns: quick ? 200 : 1_000,
    idleConns: quick ? 500 : 10_000,
  };
}
