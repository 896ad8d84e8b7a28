/**
 * One shared connection of a multiplexed pool and what the pool tracks about it.
 *
 *     accepting ──lifetime over──▶ draining ──last in-flight settles──▶ closing ──▶ closed
 *         │   └──idle too long / pool closes──────────────────────────▶    ▲
 *         └──── socket closes (peer, network, failed ping) ──────────────────┘
 *
 * A draining channel takes no new request but keeps the ones it carries: retiring a connection
 * never cuts a request off. A socket that closes under its requests fails them at once (the pool
 * does that: it owns the registry).
 * @module
 */
import { now } from '../clock.js';
import type { Connection } from '../connection/connection.js';
import type { DestroyReason } from '../diagnostics.js';
import type { SendRate } from '../subscriptions/send-rate.js';
import { fewestSubscriptions, type Carrier } from '../subscriptions/placement.js';
import type { SubscriptionKey } from '../subscriptions/types.js';
import type { Endpoint } from '../endpoints/endpoint-set.js';
import { leastLoaded, type Load } from './least-loaded.js';

export class Channel implements Load, Carrier {
  readonly conn: Connection;
  /** Epoch ms after which the connection is drained (lifetime + its jitter, fixed at creation). */
  readonly expiresAt: number;
  /** Requests sent on this connection and not settled. */
  inFlight = 0;
  /** Open and not draining: the least-loaded choice may pick it. */
  accepting = true;
  /** Retiring: closed as soon as `inFlight` reaches 0. */
  draining = false;
  /** Epoch ms since when nothing has been in flight (meaningful while `inFlight === 0`). */
  idleSince: number;
  /** Epoch ms of the last successful background ping, or 0. */
  lastPingAt = 0;
  /** A reply has arrived on it: the server serves (resets the refill backoff once). */
  served = false;
  /** A background ping is under way (one at a time). */
  pinging = false;
  /** Why the pool cut the socket, if it did (for `wspool:pool:destroy` when the close lands). */
  destroyReason: DestroyReason = 'closed';
  /** Server subscriptions placed on it, pending ones included: it is neither idle nor retired while any. */
  subscriptions = 0;
  /** Its live server subscriptions by key (keys are per connection). */
  readonly routes = new Map<SubscriptionKey, unknown>();
  /** Paces every frame sent on it (`maxSendRate`); `undefined` when unlimited. */
  pacer: SendRate | undefined;
  /** The endpoint it was dialled to (pools with `endpoints` only). */
  endpoint: Endpoint | undefined = undefined;

  constructor(conn: Connection, expiresAt: number) {
    this.conn = conn;
    this.expiresAt = expiresAt;
    this.idleSince = now();
  }
}

/**
 * The pool's open connections, accepting or draining, in opening order (the tie-break of the
 * least-loaded choice), with a lookup by socket for close events. A retired or closed channel
 * leaves both at once: it no longer counts toward `maxConns`.
 */
export class ChannelSet {
  #list: Channel[] = [];
  readonly #byConn = new Map<Connection, Channel>();

  /** The open channels, oldest first. */
  get list(): readonly Channel[] {
    return this.#list;
  }

  get size(): number {
    return this.#list.length;
  }

  add(channel: Channel): void {
    this.#list.push(channel);
    this.#byConn.set(channel.conn, channel);
  }

  /** The channel of `conn`, while it is in the set. */
  find(conn: Connection): Channel | undefined {
    return this.#byConn.get(conn);
  }

  remove(channel: Channel): void {
    if (!this.#byConn.delete(channel.conn)) return;
    // Rebuilt rather than swapped out: the order is the tie-break. Removals are rare.
    this.#list = this.#list.filter((c) => c !== channel);
  }

  /** How many take new requests. */
  accepting(): number {
    let n = 0;
    for (const channel of this.#list) if (channel.accepting) n++;
    return n;
  }

  /**
   * The least-loaded accepting channel with fewer than `limit` in flight. A socket whose close has
   * begun (the peer's close frame came in) stops accepting here, ahead of its close event (which
   * fails what it carries), so nothing more is sent into it.
   */
  choose(limit: number): Channel | undefined {
    for (;;) {
      const channel = leastLoaded(this.#list, limit);
      if (channel === undefined || channel.conn.isOpen) return channel;
      channel.accepting = false;
    }
  }

  /**
   * Where a new server subscription goes: the accepting channel with the fewest subscriptions,
   * below `max` (see `fewestSubscriptions`); `undefined` when every one is full.
   */
  chooseCarrier(max: number): Channel | undefined {
    return fewestSubscriptions(this.#list, max);
  }
}
