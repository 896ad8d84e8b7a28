/**
 * `npm test`: every check the project has, one line each, then one verdict.
 *
 * Each step is an npm script run with its output kept, not printed: a passing step shows its name,
 * its time and (for some) the one line that matters; the first failing step prints its whole
 * output and ends the run, like a chain of `&&`. Run a step's script directly to see everything;
 * `npm test -- lint typecheck` runs only the steps named.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

interface Step {
  /** The npm script. */
  readonly script: string;
  /** What it checks, as the summary line says it. */
  readonly label: string;
  /** Picks the line worth showing from a passing step's output. */
  readonly detail?: (output: string) => string | undefined;
}

const lastLineMatching =
  (pattern: RegExp) =>
  (output: string): string | undefined =>
    output
      .split('\n')
      .filter((line) => pattern.test(line))
      .at(-1)
      ?.trim();

const STEPS: readonly Step[] = [
  { script: 'bench:deps', label: 'bench dependencies' },
  { script: 'typecheck', label: 'types (tsc)' },
  { script: 'lint', label: 'lint (eslint)' },
  { script: 'format:check', label: 'format (prettier)' },
  { script: 'test:unit', label: 'tests (vitest)', detail: lastLineMatching(/^vitest: /) },
  {
    script: 'bench:smoke',
    label: 'bench smoke',
    detail: (output) => lastLineMatching(/^bench smoke: /)(output)?.replace('bench smoke: ', ''),
  },
  { script: 'check:package', label: 'package (publint, attw)' },
  { script: 'docs', label: 'API docs (typedoc)' },
  {
    script: 'test:runtimes',
    label: 'runtimes (smoke suite)',
    detail: lastLineMatching(/^runtimes: /),
  },
];

/** Runs `npm run -s <script>`; resolves with its exit code and everything it printed. */
function run(script: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // The child's output is kept in memory: every step ends on its own (vitest, the bench smoke and
    // the package checks carry their own timeouts), so this waits for no longer than they allow.
    const child = spawn('npm', ['run', '-s', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

async function main(only: readonly string[]): Promise<number> {
  const steps = only.length > 0 ? STEPS.filter((step) => only.includes(step.script)) : STEPS;
  if (steps.length < only.length) {
    process.stdout.write(`npm test: unknown step; the steps are ${STEPS.map((s) => s.script).join(', ')}\n`);
    return 2;
  }
  const started = performance.now();
  for (const step of steps) {
    const stepStarted = performance.now();
    const { code, output } = await run(step.script);
    const took = seconds(performance.now() - stepStarted);
    if (code !== 0) {
      process.stdout.write(
        `✗ ${step.label} (${took}): npm run ${step.script} failed\n\n${output.trimEnd()}\n\n`,
      );
      process.stdout.write(
        `npm test: FAILED at ${step.label} after ${seconds(performance.now() - started)}\n`,
      );
      return 1;
    }
    const detail = step.detail?.(output);
    process.stdout.write(`✓ ${step.label} (${took})${detail ? `: ${detail}` : ''}\n`);
  }
  process.stdout.write(
    `npm test: all ${steps.length} checks passed in ${seconds(performance.now() - started)}\n`,
  );
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
