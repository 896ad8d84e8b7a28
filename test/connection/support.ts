// Shared fixtures of the connection integration tests: a scripted peer the test drives message by
// message, outcome tracking that never leaves a rejection unhandled, and waits that turn the real
// event loop (so they keep working after a test installed fake timers).
import type net from 'node:net';
import type WebSocket from 'ws';
import { connect, type Connection, type ConnectOptions } from '../../src/index.js';
import { startScriptedServer, type TestWsServer, type WsServerOptions } from '../helpers/index.js';

import { realNow, turn, type Outcome } from '../helpers/async.js';

export {
  atFakeDate,
  rejectionOf,
  track,
  turn,
  turns,
  until,
  useFakeClock,
  within,
  wsErrorOf,
  type Outcome,
} from '../helpers/async.js';
export { useSuiteServer } from '../helpers/suite.js';

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
