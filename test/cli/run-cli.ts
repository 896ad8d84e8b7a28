/**
 * Runs the CLI as users do — a separate process — from source: `node --import tsx src/cli/main.ts`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = 'src/cli/main.ts';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A CLI process in flight, for commands that run until stopped. */
export interface CliProcess {
  readonly child: ChildProcess;
  /** Output so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves once stdout or stderr (as chosen) matches `pattern`; rejects if the process exits first. */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp): Promise<RegExpMatchArray>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<CliResult>;
}

/** How long any one CLI run may take before the test kills it (a hang must fail, not stall). */
const KILL_AFTER_MS = 15_000;

export function startCli(args: readonly string[]): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  const notify = (): void => listeners.forEach((fn) => fn());
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    notify();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    notify();
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
  let done = false;
  const exited = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      done = true;
      notify();
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    exited,
    waitFor(stream, pattern) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const match = (stream === 'stdout' ? stdout : stderr).match(pattern);
          if (match) {
            listeners.delete(check);
            resolve(match);
          } else if (done) {
            listeners.delete(check);
            reject(new Error(`the CLI exited before ${stream} matched ${pattern}:\n${stdout}\n${stderr}`));
          }
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** Run the CLI to completion. */
export function runCli(args: readonly string[]): Promise<CliResult> {
  return startCli(args).exited;
}
