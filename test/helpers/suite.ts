// The per-file fixture of the integration suites that share one server across their tests.
import { afterAll, afterEach, beforeAll, vi } from 'vitest';

/** What a suite closes after each test: the pools its tests made. */
export interface Closer {
  closeAll(): Promise<void>;
}

/**
 * Registers the hooks of a file whose tests share one server: `start()` before the first test;
 * after each test real timers, restored spies, `reset(server)` (undo what the test set on the
 * server) and every pool of `jar` closed; the server closed after the last test.
 *
 * Returns a stand-in for the server, usable in the file's top-level code before it has started:
 * every property read or write goes to the running server (methods bound to it).
 */
export function useSuiteServer<S extends { close(): Promise<void> }>(
  start: () => Promise<S>,
  jar: Closer,
  reset?: (server: S) => void,
): S {
  let current: S | undefined;
  const running = (): S => {
    if (current === undefined) throw new Error('the suite server is used before beforeAll started it');
    return current;
  };
  beforeAll(async () => {
    current = await start();
  });
  afterEach(async () => {
    vi.useRealTimers();
    vi.restoreAllMocks();
    if (current !== undefined) reset?.(current);
    await jar.closeAll();
  });
  afterAll(async () => {
    await current?.close();
    current = undefined;
  });
  return new Proxy({} as S, {
    get(_, key) {
      const server = running();
      const value: unknown = Reflect.get(server, key, server);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(server) : value;
    },
    set(_, key, value) {
      return Reflect.set(running(), key, value);
    },
    has(_, key) {
      return Reflect.has(running(), key);
    },
  });
}
