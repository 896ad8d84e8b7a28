// Shared fixtures of the exclusive Pool suite: a real `ws` server whose every connection is a
// recorded, scriptable peer; outcome tracking that never leaves a rejection unhandled; waits that
// turn the real event loop (so they work under fake timers); a jar that closes every pool a test
// made; and the stat() invariant every step of every test must keep.
import type http from 'node:http';
import { performance } from 'node:perf_hooks';
import timers from 'node:timers';
import { expect, vi } from 'vitest';
import WebSocket from 'ws';
import { Pool, WsPoolError, type PoolConfig, type PoolStat, type WsPoolErrorCode } from '../../src/index.js';
import type { PooledConnection } from '../../src/index.js';
import { startScriptedServer, type TestWsServer, type WsServerOptions } from '../helpers/index.js';

// Captured at load, before any test fakes the globals (vi.useFakeTimers replaces them and the
// `node:timers` exports).
const realSetImmediate = timers.setImmediate;
const realSetTimeout = timers.setTimeout;
const realClearTimeout = timers.clearTimeout;
const realNow = performance.now.bind(performance);

/**
 * Fake the library's clock seam only: `setTimeout`, `Date` and `performance`. Socket I/O,
 * `setImmediate` and `process.nextTick` stay real, so real servers keep answering.
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
  const error = await within(rejectionOf(promise), 5_000, `a ${code} rejection`);
  expect(error).toBeInstanceOf(WsPoolError);
  expect((error as WsPoolError).code).toBe(code);
  return error as WsPoolError;
}

/** The synchronous throw of `fn`, asserted to be a `WsPoolError` with `code`. */
export function thrownBy(fn: () => unknown, code: WsPoolErrorCode): WsPoolError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(WsPoolError);
  expect((caught as WsPoolError).code).toBe(code);
  return caught as WsPoolError;
}

/** One turn of the real event loop. */
export function turn(): Promise<void> {
  return new Promise((resolve) => realSetImmediate(resolve));
}

/** A few real turns: lets loopback I/O that is already under way land. */
export async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await turn();
}

/**
 * Turns the real event loop until `condition()` holds; fails after `ms` of real time. For facts
 * only the peer can see (a socket accepted, a close frame received) or that follow real I/O.
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

/** A promise with its settle functions in hand. */
export interface Gate<T = void> {
  readonly promise: Promise<T>;
  open(value: T): void;
  fail(error: unknown): void;
}

export function gate<T = void>(): Gate<T> {
  let open!: (value: T) => void;
  let fail!: (error: unknown) => void;
  const promise = new Promise<T>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

// ---- the server --------------------------------------------------------------------------------

/** One accepted connection, seen from the server. */
export interface Peer {
  /** 1-based, in accept order. */
  readonly id: number;
  readonly ws: WebSocket;
  /** Request path and query of the upgrade. */
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  /** Messages received, text as `string`, binary as `Buffer`. */
  readonly received: (string | Buffer)[];
  /** Pings received. */
  pings: number;
  /** While true the peer swallows pings (a dead path that still holds the TCP connection). */
  muted: boolean;
  /** Set once the server saw the socket close: the client's close code and reason, or 1006. */
  closedWith: { code: number; reason: string } | undefined;
}

export interface PeerServerOptions extends Pick<WsServerOptions, 'verifyClient'> {
  /** Sent to every connection as soon as it is accepted. */
  greeting?: string;
  /** Runs for each new peer after it is recorded. */
  onPeer?: (peer: Peer) => void;
}

/**
 * A `ws` server on 127.0.0.1:0 for pool tests. Every connection becomes a {@link Peer}. It echoes
 * every message with its type, except `whoami`, answered with `peer:<id>` (so a test can tell
 * which socket a handle is on). Pings are answered by hand, so one peer can be muted.
 */
export interface PeerServer {
  readonly url: string;
  readonly server: TestWsServer;
  readonly peers: Peer[];
  /** Connections open on the server now. */
  readonly open: number;
  /** Most connections open on the server at once. */
  readonly peak: number;
  close(): Promise<void>;
}

export async function startPeerServer(opts: PeerServerOptions = {}): Promise<PeerServer> {
  const peers: Peer[] = [];
  let open = 0;
  let peak = 0;
  const server = await startScriptedServer(
    (ws, req) => {
      const peer: Peer = {
        id: peers.length + 1,
        ws,
        path: req.url ?? '',
        headers: req.headers,
        received: [],
        pings: 0,
        muted: false,
        closedWith: undefined,
      };
      peers.push(peer);
      open++;
      peak = Math.max(peak, open);
      ws.on('message', (data: Buffer, isBinary) => {
        const message = isBinary ? data : data.toString();
        peer.received.push(message);
        if (ws.readyState !== WebSocket.OPEN) return;
        if (message === 'whoami') ws.send(`peer:${peer.id}`);
        else ws.send(data, { binary: isBinary });
      });
      ws.on('ping', (data: Buffer) => {
        peer.pings++;
        if (!peer.muted && ws.readyState === WebSocket.OPEN) ws.pong(data);
      });
      ws.on('close', (code, reason) => {
        open--;
        peer.closedWith = { code, reason: reason.toString() };
      });
      if (opts.greeting !== undefined) ws.send(opts.greeting);
      opts.onPeer?.(peer);
    },
    { autoPong: false, ...(opts.verifyClient && { verifyClient: opts.verifyClient }) },
  );
  return {
    url: server.url,
    server,
    peers,
    get open() {
      return open;
    },
    get peak() {
      return peak;
    },
    close: () => server.close(),
  };
}

/** The id of the server peer a handle is on (a `whoami` round trip). */
export async function whoami(conn: PooledConnection): Promise<number> {
  await conn.sendMessage('whoami');
  const reply = await within(conn.readMessage(), 5_000, 'the whoami reply');
  const match = /^peer:(\d+)$/.exec(reply);
  if (!match) throw new Error(`unexpected whoami reply ${JSON.stringify(reply)}`);
  return Number(match[1]);
}

/** One echo round trip on a handle; resolves with the echoed text. */
export async function echo(conn: PooledConnection, text: string): Promise<string> {
  await conn.sendMessage(text);
  return within(conn.readMessage(), 5_000, `the echo of ${text}`);
}

// ---- pools -------------------------------------------------------------------------------------

/** Closes every pool a test made, even when the test failed half-way. */
export class PoolJar {
  readonly #pools = new Set<Pool>();

  /** `new Pool(config)`, remembered for {@link PoolJar.closeAll}. */
  pool(config: PoolConfig): Pool {
    return this.add(new Pool(config));
  }

  add(pool: Pool): Pool {
    this.#pools.add(pool);
    return pool;
  }

  /** Close every pool, terminating what is still borrowed. Call with real timers. */
  async closeAll(): Promise<void> {
    const all = [...this.#pools];
    this.#pools.clear();
    await within(
      Promise.all(all.map((pool) => pool.close({ timeout: 0 }).catch(() => undefined))),
      10_000,
      'closing the pools of the test',
    );
  }
}

/**
 * What must hold of every snapshot, at every step: frozen, non-negative, the total is the sum of
 * its parts and never above `maxConns`. Throws a plain Error (cheap enough for the stress loop).
 */
export function checkStat(s: PoolStat, where = ''): void {
  const fail = (what: string): never => {
    throw new Error(`stat invariant broken${where ? ` (${where})` : ''}: ${what} in ${JSON.stringify(s)}`);
  };
  if (!Object.isFrozen(s)) fail('snapshot not frozen');
  for (const [key, value] of Object.entries(s)) {
    if (typeof value !== 'number' || !(value >= 0)) fail(`${key} is not a number >= 0`);
  }
  if (s.totalConns !== s.idleConns + s.acquiredConns + s.constructingConns) {
    fail('totalConns !== idle + acquired + constructing');
  }
  if (s.totalConns > s.maxConns) fail('totalConns > maxConns');
}

/** {@link checkStat} on a pool's current snapshot; returns it. */
export function statOf(pool: Pool): PoolStat {
  const s = pool.stat();
  checkStat(s);
  return s;
}

/** The gauges of a snapshot, for one `toEqual` per assertion. */
export function gauges(pool: Pool): {
  total: number;
  idle: number;
  acquired: number;
  constructing: number;
  pending: number;
} {
  const s = statOf(pool);
  return {
    total: s.totalConns,
    idle: s.idleConns,
    acquired: s.acquiredConns,
    constructing: s.constructingConns,
    pending: s.pendingAcquires,
  };
}

/** Seeded PRNG (mulberry32): the stress tests are random but replayable from their seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
