/**
 * Starts a TypeScript module in a child Node process, with tsx as its loader and an IPC channel.
 *
 * The loader is resolved from this file (it walks up to the root `node_modules/tsx`), so children
 * start the same way whatever the working directory.
 *
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';

/**
 * Forks `modulePath` (absolute) with `args`; `nodeFlags` go before the loader (`--expose-gc`, …).
 * The child inherits this process's environment unless `env` is given, and prints to this
 * process's stdout and stderr unless `output` is 'pipe' (then `child.stdout`/`child.stderr` carry it).
 */
export function forkTs(
  modulePath: string,
  args: readonly string[] = [],
  nodeFlags: readonly string[] = [],
  env: NodeJS.ProcessEnv = process.env,
  output: 'inherit' | 'pipe' = 'inherit',
): ChildProcess {
  const loader = import.meta.resolve('tsx');
  return fork(modulePath, [...args], {
    execArgv: [...nodeFlags, '--import', loader],
    // The alternatives' own `ws` copy (bench/node_modules) would find the native `bufferutil` they
    // pull in; the root `ws` that wspool and raw ws use has none. Every copy masks in JavaScript.
    env: { ...env, WS_NO_BUFFER_UTIL: '1' },
    stdio: ['ignore', output, output, 'ipc'],
  });
}

/**
 * Resolves with the first IPC message of `child` that `accept` maps to a value; rejects when
 * `accept` throws or the child exits first.
 */
export function nextMessage<T>(child: ChildProcess, accept: (message: unknown) => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown): void => {
      let value: T | undefined;
      try {
        value = accept(message);
      } catch (error) {
        cleanup();
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (value === undefined) return;
      cleanup();
      resolve(value);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      cleanup();
      reject(new Error(`child process exited (${signal ?? `code ${String(code)}`}) before it answered`));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const cleanup = (): void => {
      child.off('message', onMessage);
      child.off('exit', onExit);
      child.off('error', onError);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

/**
 * In a forked child: sends `message` to the parent over IPC and resolves once it is handed to the
 * channel. Run on its own (no IPC), the child prints it as a JSON line instead.
 */
export function sendToParent(message: object): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) {
      console.log(JSON.stringify(message));
      resolve();
    } else {
      process.send(message, () => resolve());
    }
  });
}

/** Resolves when `child` has exited; kills it after `timeoutMs`. */
export function waitForExit(child: ChildProcess, timeoutMs = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    timer.unref();
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
