import net from 'node:net';
import { Tunnel, ignoreError, resetSocket, type Conditions, type ProxyTarget } from './tcp-tunnel.js';

export type { ProxyTarget } from './tcp-tunnel.js';

/**
 * A TCP proxy on 127.0.0.1 for fault injection between a client and a real server. Modes switch at
 * runtime and apply to live tunnels as well as new ones, except where noted. Create with
 * {@link startTcpProxy}.
 *
 * Semantics of the modes:
 * - `pass()`: forward (the default). Releases whatever `blackhole()` held, in order.
 * - `blackhole()`: a network partition. Nothing is forwarded in either direction and nothing is closed:
 *   no FIN, no RST reaches either peer, even if the other peer closes or resets meanwhile. Bytes are
 *   *held*, not dropped (up to 1 MiB per direction, beyond which the proxy stops reading and TCP
 *   backpressure takes over); `pass()` delivers them, then any held FIN/RST, in order, as a recovered
 *   network would (retransmission). So a ping sent during a blackhole is answered after `pass()`.
 * - `latency(ms)`: each chunk (and each FIN/RST) is delivered `ms` after the proxy read it, per direction,
 *   order preserved. Applies to chunks read after the call; those already queued keep their schedule.
 * - `cutAll()`: RST both sides of every live tunnel now (queued bytes are dropped).
 * - `refuse(on)`: new connections are accepted and reset at once; the client sees ECONNRESET (or
 *   "socket hang up"), not ECONNREFUSED. For a true ECONNREFUSED dial a {@link freePort}.
 * - `stall(on)`: new connections are accepted but not dialled upstream; their bytes are held. Turning
 *   it off dials the still-open stalled tunnels and forwards what they sent, so a handshake that was
 *   stalled completes late. A stalled client that closes is simply dropped.
 * - `idleTimeout(ms)`: a tunnel whose client socket has neither read nor written a byte for `ms` is
 *   closed with FIN on both sides (like nginx `proxy_read_timeout`); bytes it still held are dropped.
 *   `0` disables. Applies to live tunnels, stalled ones included. Uses `socket.setTimeout`, so it runs
 *   on real time even under fake timers.
 */
export class TcpProxy {
  readonly #server: net.Server;
  readonly #tunnels = new Set<Tunnel>();
  /** Every socket not yet closed, with a promise of its 'close' event. */
  readonly #sockets = new Map<net.Socket, Promise<void>>();
  readonly #cond: Conditions = { held: false, latencyMs: 0 };
  readonly #waiters: { check: () => boolean; resolve: () => void; reject: (e: Error) => void }[] = [];
  #target: Required<ProxyTarget>;
  #refusing = false;
  #stalling = false;
  #idleMs = 0;
  #accepted = 0;
  #port = 0;
  #closing: Promise<void> | undefined;

  /** @internal Use {@link startTcpProxy}. */
  constructor(target: Required<ProxyTarget>) {
    this.#target = target;
    this.#server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.#accept(socket));
  }

  /** @internal */
  async listen(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    this.#port = (this.#server.address() as net.AddressInfo).port;
    return this;
  }

  /** The port the proxy listens on (127.0.0.1). */
  get port(): number {
    return this.#port;
  }

  /** Client connections accepted so far, refused and stalled ones included. */
  get accepted(): number {
    return this.#accepted;
  }

  /** Live tunnels: accepted (not refused) connections not yet fully closed on both sides. */
  get active(): number {
    return this.#tunnels.size;
  }

  /** Bytes read but not yet forwarded (held by `blackhole()`/`stall()` or delayed by `latency()`). */
  get pendingBytes(): number {
    let sum = 0;
    for (const t of this.#tunnels) sum += t.pendingBytes;
    return sum;
  }

  /** The current target (changed by {@link setTarget}). */
  get target(): Readonly<Required<ProxyTarget>> {
    return this.#target;
  }

  /** `ws://127.0.0.1:<port><path>`; `path` defaults to `/`. */
  url(path = '/'): string {
    return `ws://127.0.0.1:${this.#port}${path.startsWith('/') ? path : `/${path}`}`;
  }

  pass(): void {
    this.#cond.held = false;
    for (const t of this.#tunnels) t.pump();
  }

  blackhole(): void {
    this.#cond.held = true;
  }

  /** Delay per chunk and direction, in ms; `0` turns it off. */
  latency(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms))
      throw new RangeError(`latency must be a finite ms >= 0, got ${ms}`);
    this.#cond.latencyMs = ms;
  }

  cutAll(): void {
    for (const t of this.#tunnels) t.cut();
  }

  refuse(on = true): void {
    this.#refusing = on;
  }

  stall(on = true): void {
    this.#stalling = on;
    if (on) return;
    for (const t of this.#tunnels) if (!t.upstream && !t.finished) this.#dial(t);
  }

  /** Idle close after `ms` without traffic on the client socket; `0` disables. */
  idleTimeout(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms))
      throw new RangeError(`idleTimeout must be a finite ms >= 0, got ${ms}`);
    this.#idleMs = ms;
    for (const t of this.#tunnels) if (!t.finished) t.client.setTimeout(ms);
  }

  /** New tunnels dial this port (and host, default unchanged); live tunnels keep their backend. */
  setTarget(port: number, host = this.#target.host): void {
    this.#target = { host, port };
  }

  /**
   * Resolves once `predicate(this)` holds, re-checked on every accept, every chunk read and every
   * tunnel close (so `accepted`, `active` and `pendingBytes` can be awaited without polling).
   */
  waitFor(predicate: (proxy: this) => boolean): Promise<void> {
    if (predicate(this)) return Promise.resolve();
    if (this.#closing) return Promise.reject(new Error('TcpProxy closed before the condition held'));
    return new Promise((resolve, reject) => {
      this.#waiters.push({ check: () => predicate(this), resolve, reject });
    });
  }

  /** Resolves when no tunnel is live. */
  whenIdle(): Promise<void> {
    return this.waitFor((p) => p.active === 0);
  }

  /**
   * Stops listening, resets every socket, and resolves once the listener and all sockets are closed
   * and no timer of the proxy is left. Idempotent. Waiters still unmet are rejected.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const serverClosed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.cutAll();
    for (const s of this.#sockets.keys()) resetSocket(s);
    // Not `socket.closed`: it turns true a tick before 'close' runs the tunnel bookkeeping.
    await Promise.all([serverClosed, ...this.#sockets.values()]);
    this.#notify();
    for (const w of this.#waiters.splice(0)) w.reject(new Error('TcpProxy closed before the condition held'));
  }

  #track(socket: net.Socket): void {
    this.#sockets.set(
      socket,
      new Promise((resolve) => {
        socket.once('close', () => {
          this.#sockets.delete(socket);
          resolve();
        });
      }),
    );
  }

  #accept(client: net.Socket): void {
    this.#accepted++;
    client.on('error', ignoreError);
    this.#track(client);
    if (this.#refusing || this.#closing) {
      client.resetAndDestroy();
      this.#notify();
      return;
    }
    const tunnel = new Tunnel(
      client,
      this.#cond,
      (t) => {
        this.#tunnels.delete(t);
        this.#notify();
      },
      () => this.#notify(),
    );
    this.#tunnels.add(tunnel);
    client.on('timeout', () => tunnel.idleClose());
    if (this.#idleMs > 0) client.setTimeout(this.#idleMs);
    if (!this.#stalling) this.#dial(tunnel);
    this.#notify();
  }

  #dial(tunnel: Tunnel): void {
    this.#track(tunnel.dial(this.#target, this.#cond));
  }

  #notify(): void {
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const w = this.#waiters[i]!;
      if (w.check()) {
        this.#waiters.splice(i, 1);
        w.resolve();
      }
    }
  }
}

/** Starts a {@link TcpProxy} on 127.0.0.1, port 0, forwarding to `target` (a port on 127.0.0.1, or host+port). */
export function startTcpProxy(target: number | ProxyTarget): Promise<TcpProxy> {
  const t = typeof target === 'number' ? { port: target } : target;
  return new TcpProxy({ host: t.host ?? '127.0.0.1', port: t.port }).listen();
}
