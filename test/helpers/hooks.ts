/**
 * Pool hooks that never settle, for the tests that race them against close(), timeouts and aborts
 * (the exclusive pool's and, for the dial hooks, the multiplexed pool's).
 * @module
 */
import type { Connection, PoolConfig } from '../../src/index.js';
import { track, type Outcome } from './async.js';

/** What a {@link hangingHook} saw: that it started, and the read a connection hook left pending. */
export interface Hang {
  entered: boolean;
  read: Outcome<string> | undefined;
}

/** A fresh {@link Hang}, nothing entered yet. */
export function newHang(): Hang {
  return { entered: false, read: undefined };
}

/**
 * The pool option for hook `name` that never settles, reporting to `hang`; a connection hook first
 * starts a read that never gets its message (it must reject once the pool closes that connection).
 */
export function hangingHook(
  name: 'beforeConnect' | 'afterConnect' | 'beforeAcquire',
  hang: Hang,
): Pick<PoolConfig, 'beforeConnect' | 'afterConnect' | 'beforeAcquire'> {
  const connHook = (conn: Connection): Promise<never> => {
    hang.entered = true;
    hang.read = track(conn.readMessage());
    return new Promise<never>(() => undefined);
  };
  if (name === 'beforeConnect') {
    return {
      beforeConnect: () => {
        hang.entered = true;
        return new Promise<void>(() => undefined);
      },
    };
  }
  return name === 'afterConnect' ? { afterConnect: connHook } : { beforeAcquire: connHook };
}
