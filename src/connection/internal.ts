/**
 * Package-internal hooks on a {@link Connection}, keyed by symbols that are not exported from the
 * package entry point. The pools use them; users cannot reach them by accident.
 */
import type { Connection } from './connection.js';
import { kQuietSince } from './keep-alive.js';

/** Builds a connection or a pool's handle: their constructors are private, so users cannot. */
export const kCreate = Symbol('wspool.create');
export const kObserver = Symbol('wspool.observer');
export const kDiscardPending = Symbol('wspool.discardPending');
export const kSetDiscarding = Symbol('wspool.setDiscarding');
export const kTerminate = Symbol('wspool.terminate');
export const kLastError = Symbol('wspool.lastError');
export const kPark = Symbol('wspool.park');
export const kSendNow = Symbol('wspool.sendNow');
/**
 * The promise every send returns when its frame went out at once (room below
 * `sendHighWaterMark`): the one-call borrows compare against it to skip a hop.
 */
export const SENT: Promise<void> = Promise.resolve();
export const kSetMessageHandler = Symbol('wspool.setMessageHandler');

/**
 * Epoch ms since which `conn` has heard nothing from its peer and sent no ping (see keep-alive.ts).
 * A pool's health ping waits until a connection has been quiet for `pingIdleAfter`: traffic
 * (a message an idle connection discards included) or a keepalive ping just sent makes its own
 * ping redundant, so the two never ping the same connection back to back.
 */
export function quietSince(conn: Connection): number {
  return conn[kQuietSince]();
}

/** What a pool learns from a connection it owns. */
export interface ConnectionObserver {
  /** The socket closed (any side, any reason). Called once. */
  connectionClosed(conn: object): void;
  /** A message was dropped because the connection was idle in a pool. */
  messageDiscarded(conn: object): void;
}

/** @internal Installs a {@link FramePacer} on a connection (`undefined` removes it). */
export const kSetPacer = Symbol('wspool.setPacer');

/**
 * A frame that waited for its turn: called with `true` to send it now, `false` when it never will
 * be (the pacer stopped). Returns `false` when, by its turn, there was nothing left to send (its
 * request expired meanwhile): then it used no token.
 */
export type PacedSend = (go: boolean) => boolean | void;

/**
 * Paces the frames a pool sends on one connection (`maxSendRate`). The connection consults it for
 * its pings; the pool for the data frames it writes.
 */
export interface FramePacer {
  /** A token now, with nobody waiting ahead? */
  tryTake(): boolean;
  /** Queue a frame behind those waiting. */
  wait(send: PacedSend): void;
}
