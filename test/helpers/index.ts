import type { EventEmitter } from 'node:events';

export * from './clients.js';
export * from './leaks.js';
export * from './servers.js';
export * from './tcp-proxy.js';
export * from './suite.js';

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
  /** Whether `resolve` or `reject` has been called. */
  readonly settled: boolean;
}

/** A promise with its `resolve`/`reject` in hand. */
export function deferred<T = void>(): Deferred<T> {
  let settled = false;
  let res!: (value: T) => void;
  let rej!: (reason: unknown) => void;
  const promise = new Promise<T>((resolve, reject) => {
    res = resolve;
    rej = reject;
  });
  return {
    promise,
    resolve(value) {
      settled = true;
      res(value);
    },
    reject(reason) {
      settled = true;
      rej(reason);
    },
    get settled() {
      return settled;
    },
  };
}

export interface ErrorCollector {
  /** Every `error` emitted so far by the watched emitters, in order. */
  readonly errors: readonly unknown[];
  /** Starts collecting `emitter`'s `error` events (which also keeps them from being thrown); returns it. */
  watch<E extends EventEmitter>(emitter: E): E;
  /** Removes every listener this collector added. */
  dispose(): void;
}

/** Collects `error` events of emitters (raw `ws` clients, sockets) a test expects to fail. */
export function collectErrors(...emitters: EventEmitter[]): ErrorCollector {
  const errors: unknown[] = [];
  const watched: EventEmitter[] = [];
  const onError = (err: unknown): void => {
    errors.push(err);
  };
  const collector: ErrorCollector = {
    errors,
    watch(emitter) {
      emitter.on('error', onError);
      watched.push(emitter);
      return emitter;
    },
    dispose() {
      for (const e of watched.splice(0)) e.off('error', onError);
    },
  };
  for (const e of emitters) collector.watch(e);
  return collector;
}
