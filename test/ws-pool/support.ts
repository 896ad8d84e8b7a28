// Shared fixtures of the exclusive Pool suite: a real `ws` server whose every connection is a
// recorded, scriptable peer; outcome tracking that never leaves a rejection unhandled; waits that
// turn the real event loop (so they work under fake timers); a jar that closes every pool a test
// made; and the stat() invariant every step of every test must keep.
import type http from 'node:http';
import WebSocket from 'ws';
import { Pool, type PoolConfig, type PoolStat } from '../../src/index.js';
import type { PooledConnection } from '../../src/index.js';
import { startScriptedServer, type TestWsServer, type WsServerOptions } from '../helpers/index.js';

import { within } from '../helpers/async.js';
export { hangingHook, newHang, type Hang } from '../helpers/hooks.js';
export { useSuiteServer } from '../helpers/suite.js';

export {
  gate,
  rejectionOf,
  thrownBy,
  track,
  turn,
  turns,
  until,
  useFakeClock,
  within,
  wsErrorOf,
  type Gate,
  type Outcome,
} from '../helpers/async.js';

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
  /** The peer with this id (1-based, accept order); throws if there is none. */
  peer(id: number): Peer;
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
    peer(id: number): Peer {
      const peer = peers.find((p) => p.id === id);
      if (!peer) throw new Error(`no peer ${id}`);
      return peer;
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
