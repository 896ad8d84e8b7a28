// Shared fixtures of the connection integration tests: a scripted peer the test drives message by
// message, outcome tracking that never leaves a rejection unhandled, and waits that turn the real
// event loop (so they keep working after a test installed fake timers).
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import timers from 'node:timers';
import { expect, vi } from 'vitest';
import type WebSocket from 'ws';
import { connect, type Connection, type ConnectOptions } from '../../src/index.js';
import { WsPoolError, type WsPoolErrorCode } from '../../src/errors.js';
import { startScriptedServer, type TestWsServer, type WsServerOptions } from '../helpers/index.js';

// Captured at load, before any test fakes the globals (vi.useFakeTimers replaces them and the
// `node:timers` exports).
const realSetImmediate = timers.setImmediate;
const realSetTimeout = timers.setTimeout;
const realClearTimeout = timers.clearTimeout;
const realNow = performance.now.bind(performance);

/**
 * Fake the library's clock seam: timeouts, `Date` and `performance` only, so socket I/O,
 * `setImmediate` and `process.nextTick` stay real. Undo with `vi.useRealTimers()`.
 */
export function useFakeClock(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
}

/** The observed state of a promise, recorded without leaving a rejection unhandled. */
export interface Outcome<T> {
  status: 'pending' | 'fulfilled' | 'rejected';
  value?: T;
  error?: unknown;
}

export function track<T>(promise: Promise<T>): Outcome<T> {
  const outcome: Outcome<T> = { status: 'pending' };
  promise.then(
    (value) => {
      outcome.status = 'fulfilled';
      outcome.value = value;
    },
    (error: unknown) => {
      outcome.status = 'rejected';
      outcome.error = error;
    },
  );
  return outcome;
}

/** The rejection reason of `promise`; fails the test if it fulfils. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it fulfilled');
}

/** The rejection of `promise`, asserted to be a `WsPoolError` with `code`. */
export async function wsErrorOf(promise: Promise<unknown>, code: WsPoolErrorCode): Promise<WsPoolError> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(WsPoolError);
  expect((error as WsPoolError).code).toBe(code);
  return error as WsPoolError;
}

/** One turn of the real event loop. */
export function turn(): Promise<void> {
  return new Promise((resolve) => realSetImmediate(resolve));
}

/**
 * Turns the real event loop until `condition()` holds; fails after `ms` of real time. Used for
 * facts only the peer can see (a socket accepted, a close frame received).
 */
export async function until(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = realNow() + ms;
  while (!condition()) {
    if (realNow() > deadline) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    await turn();
  }
}

/** Rejects if `promise` does not settle within `ms` of real time (instead of hanging the test). */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = realSetTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    realClearTimeout(timer);
  }
}

/** The raw TCP socket under a server-side `ws` WebSocket (to pause reading: a peer that stops reading). */
export function rawSocket(ws: WebSocket): net.Socket {
  return (ws as unknown as { _socket: net.Socket })._socket;
}

/** A server-side socket and what it saw. */
export interface Peer {
  readonly ws: WebSocket;
  /** Messages received, in order: text as `string`, binary as `Buffer`. */
  readonly received: (string | Buffer)[];
  /** Set once the server saw the close (code and reason of the client's close frame, or 1006). */
  closedWith: { code: number; reason: string } | undefined;
  /** Request headers of the upgrade. */
  readonly headers: Record<string, string | string[] | undefined>;
}

/**
 * A `ws` server whose connections the test drives: each accepted socket becomes a {@link Peer},
 * obtained in order with `nextPeer()`.
 */
export interface PeerServer {
  readonly server: TestWsServer;
  readonly url: string;
  readonly peers: Peer[];
  nextPeer(): Promise<Peer>;
  close(): Promise<void>;
}

export async function startPeerServer(
  opts: WsServerOptions & { onPeer?: (peer: Peer) => void } = {},
): Promise<PeerServer> {
  const peers: Peer[] = [];
  const waiting: ((peer: Peer) => void)[] = [];
  let handedOut = 0;
  const server = await startScriptedServer((ws, req) => {
    const peer: Peer = { ws, received: [], closedWith: undefined, headers: req.headers };
    ws.on('message', (data: Buffer, isBinary) => peer.received.push(isBinary ? data : data.toString()));
    ws.on('close', (code, reason) => (peer.closedWith = { code, reason: reason.toString() }));
    peers.push(peer);
    opts.onPeer?.(peer);
    const resolve = waiting.shift();
    if (resolve) {
      handedOut++;
      resolve(peer);
    }
  }, opts);
  return {
    server,
    url: server.url,
    peers,
    nextPeer() {
      const ready = peers[handedOut];
      if (ready) {
        handedOut++;
        return Promise.resolve(ready);
      }
      return new Promise((resolve) => waiting.push(resolve));
    },
    close: () => server.close(),
  };
}

/** Connect to a {@link PeerServer} and return both ends. */
export async function connectPeer(
  server: PeerServer,
  options: ConnectOptions = {},
): Promise<{ conn: Connection; peer: Peer }> {
  const [conn, peer] = await Promise.all([connect(server.url, options), server.nextPeer()]);
  return { conn, peer };
}

/** Closes every connection a test opened, even when the test failed half-way. */
export class ConnectionJar {
  readonly #open = new Set<Connection>();

  add<C extends Connection>(conn: C): C {
    this.#open.add(conn);
    return conn;
  }

  async closeAll(): Promise<void> {
    const all = [...this.#open];
    this.#open.clear();
    // close() is idempotent, so closing what a test already closed is harmless.
    await Promise.all(all.map((conn) => conn.close().catch(() => undefined)));
  }
}

/**
 * Turns the real event loop for up to `ms` of real time; true as soon as `outcome` settles, false
 * if it is still pending at the end (a send held back by backpressure, a close still in progress).
 */
export async function settlesWithin(outcome: Outcome<unknown>, ms: number): Promise<boolean> {
  const deadline = realNow() + ms;
  while (outcome.status === 'pending') {
    if (realNow() > deadline) return false;
    await turn();
  }
  return true;
}
