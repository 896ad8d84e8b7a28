/**
 * Internals of the test TCP proxy ({@link ./tcp-proxy.ts}): one tunnel is a client socket and its
 * upstream, joined by two lanes, one per direction. Not re-exported from the helpers index.
 */
import net from 'node:net';
import timers from 'node:timers';
import { performance } from 'node:perf_hooks';

// The proxy models the network, and the network runs on real time even in a test that has called
// `vi.useFakeTimers()`: that call replaces the globals *and* the `node:timers` exports, so the real
// functions are captured once, when this module loads (imports are hoisted above any test code).
const realSetTimeout = timers.setTimeout;
const realClearTimeout = timers.clearTimeout;
const realNow = performance.now.bind(performance);
// Lane timers stay ref'ed on purpose (unlike the library's): a proxy forgotten with delayed bytes
// queued is a visible leak (`trackTimers()`, `Timeout` in getActiveResourcesInfo), never a silent one;
// TcpProxy.close() clears every one of them.

/** Bytes a lane may hold (latency or blackhole) before it stops reading its source (TCP backpressure). */
const HOLD_HIGH_WATER = 1024 * 1024;

/** Where the proxy dials. */
export interface ProxyTarget {
  /** @default '127.0.0.1' */
  host?: string;
  port: number;
}

/**
 * Shared, mutable network conditions: every lane reads them on each step, so a mode switch applies
 * to live tunnels at once.
 */
export interface Conditions {
  held: boolean;
  latencyMs: number;
}

type Item =
  { kind: 'data'; data: Buffer; due: number } | { kind: 'end'; due: number } | { kind: 'reset'; due: number };

export function resetSocket(socket: net.Socket | undefined): void {
  if (!socket || socket.destroyed) return;
  // A socket still dialling has nothing to reset (resetAndDestroy would wait for the connect).
  if (socket.pending) socket.destroy();
  else socket.resetAndDestroy();
}

export function ignoreError(): void {
  // Errors are handled through the 'close' event; the listener only keeps them from being thrown.
}

/**
 * One direction of a tunnel. Everything read from `src` goes through an ordered queue, each item
 * stamped with its due time (now + latency); `pump` delivers due items to `dst` unless the lane is
 * held (blackhole) or has no destination yet (stalled tunnel). A single owned timer waits for the head.
 */
class Lane {
  readonly #queue: Item[] = [];
  readonly #cond: Conditions;
  readonly #src: net.Socket;
  readonly #onChange: () => void;
  #dst: net.Socket | undefined;
  #timer: NodeJS.Timeout | undefined;
  #bytes = 0;
  #discarding = false;
  /** The source's end of stream (or reset) has been queued: nothing more will come from it. */
  sourceDone = false;

  constructor(cond: Conditions, src: net.Socket, onChange: () => void) {
    this.#cond = cond;
    this.#src = src;
    this.#onChange = onChange;
  }

  /** Bytes read from the source and not yet written to the destination. */
  get pendingBytes(): number {
    return this.#bytes;
  }

  setDestination(dst: net.Socket): void {
    this.#dst = dst;
    dst.on('drain', () => this.#flow());
    this.pump();
  }

  push(item: Item): void {
    if (item.kind !== 'data') this.sourceDone = true;
    if (this.#discarding) return;
    this.#queue.push(item);
    if (item.kind === 'data') this.#bytes += item.data.length;
    this.pump();
    this.#flow();
    this.#onChange();
  }

  /** Delivers every due item; re-arms the timer for the first one not yet due. */
  pump(): void {
    if (this.#timer !== undefined || this.#cond.held || !this.#dst) return;
    const dst = this.#dst;
    const had = this.#queue.length;
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      const wait = head.due - realNow();
      if (wait > 0) {
        // Timers may fire up to a millisecond early against performance.now(); the re-check on
        // wake-up re-arms in that case, so no chunk is ever delivered before its due time.
        this.#timer = realSetTimeout(
          () => {
            this.#timer = undefined;
            this.pump();
          },
          Math.max(1, Math.ceil(wait)),
        );
        break;
      }
      this.#queue.shift();
      if (head.kind === 'data') this.#bytes -= head.data.length;
      if (dst.destroyed) continue;
      if (head.kind === 'data') {
        dst.write(head.data);
      } else if (head.kind === 'end') {
        dst.end();
      } else {
        resetSocket(dst);
      }
    }
    if (this.#queue.length !== had) {
      this.#flow();
      this.#onChange();
    }
  }

  /** Drops everything queued and ignores whatever the source still sends. */
  discard(): void {
    this.#discarding = true;
    this.#queue.length = 0;
    this.#bytes = 0;
    this.stopTimer();
    // Keep reading (and dropping) so the peer's FIN is seen and the socket can close.
    if (!this.#src.destroyed) this.#src.resume();
  }

  stopTimer(): void {
    if (this.#timer !== undefined) realClearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Pauses the source while too much is held or the destination is congested. */
  #flow(): void {
    const src = this.#src;
    if (src.destroyed) return;
    const congested = this.#bytes > HOLD_HIGH_WATER || this.#dst?.writableNeedDrain === true;
    if (congested && !src.isPaused()) src.pause();
    else if (!congested && src.isPaused()) src.resume();
  }
}

/** A client connection and (once dialled) its upstream, joined by two lanes. */
export class Tunnel {
  readonly client: net.Socket;
  readonly up: Lane;
  upstream: net.Socket | undefined;
  down: Lane | undefined;
  /** Cut, idle-closed or abandoned: no more forwarding, no late dial. */
  finished = false;
  readonly #onDone: (t: Tunnel) => void;
  readonly #onChange: () => void;
  #clientClosed = false;
  #upstreamClosed = false;

  constructor(client: net.Socket, cond: Conditions, onDone: (t: Tunnel) => void, onChange: () => void) {
    this.client = client;
    this.#onDone = onDone;
    this.#onChange = onChange;
    this.up = new Lane(cond, client, onChange);
    client.on('data', (data: Buffer) =>
      this.up.push({ kind: 'data', data, due: realNow() + cond.latencyMs }),
    );
    client.on('end', () => {
      // A stalled client that gives up has nobody to tell: finish it here.
      if (!this.upstream) {
        this.finished = true;
        this.up.discard();
        client.end();
        return;
      }
      this.up.push({ kind: 'end', due: realNow() + cond.latencyMs });
    });
    client.on('close', () => {
      if (!this.up.sourceDone) this.up.push({ kind: 'reset', due: realNow() + cond.latencyMs });
      this.#clientClosed = true;
      this.#maybeDone();
    });
  }

  dial(target: Required<ProxyTarget>, cond: Conditions): net.Socket {
    const upstream = net.connect({
      host: target.host,
      port: target.port,
      allowHalfOpen: true,
      noDelay: true,
    });
    upstream.on('error', ignoreError);
    this.upstream = upstream;
    const down = new Lane(cond, upstream, this.#onChange);
    this.down = down;
    upstream.on('data', (data: Buffer) => down.push({ kind: 'data', data, due: realNow() + cond.latencyMs }));
    upstream.on('end', () => down.push({ kind: 'end', due: realNow() + cond.latencyMs }));
    upstream.on('close', () => {
      if (!down.sourceDone) down.push({ kind: 'reset', due: realNow() + cond.latencyMs });
      this.#upstreamClosed = true;
      this.#maybeDone();
    });
    down.setDestination(this.client);
    this.up.setDestination(upstream);
    return upstream;
  }

  get pendingBytes(): number {
    return this.up.pendingBytes + (this.down?.pendingBytes ?? 0);
  }

  pump(): void {
    this.up.pump();
    this.down?.pump();
  }

  cut(): void {
    this.finished = true;
    this.up.discard();
    this.down?.discard();
    resetSocket(this.client);
    resetSocket(this.upstream);
  }

  idleClose(): void {
    this.finished = true;
    this.client.setTimeout(0);
    this.up.discard();
    this.down?.discard();
    if (!this.client.destroyed) this.client.end();
    if (this.upstream && !this.upstream.destroyed) {
      if (this.upstream.pending) this.upstream.destroy();
      else this.upstream.end();
    }
  }

  #maybeDone(): void {
    if (!this.#clientClosed || (this.upstream && !this.#upstreamClosed)) return;
    this.up.stopTimer();
    this.down?.stopTimer();
    this.#onDone(this);
  }
}
