/**
 * The subscriptions of one multiplexed pool: `subscribe()`, routing of notifications, leaving,
 * re-establishing after a loss, rotation off an expiring connection, and close. The pool owns the
 * connections and requests; this module reaches them only through {@link SubscriptionHost}, so
 * it never imports a pool.
 *
 *     subscribe() ─▶ coalesce? ─no─▶ carrier (fewest subscriptions; dial up to maxConns) ─▶ subscribe message
 *                       │ yes                                                               │ confirmed
 *                       └───────────▶ joins the server subscription ◀──────────────────────────┘
 *     connection lost ─▶ resubscribe loop (backoff) ─▶ confirmed ─▶ gap marker, then new notifications
 *     lifetime over   ─▶ rotate: subscribe elsewhere, hold; unsubscribe old; answered ─▶ release held
 * @module
 */
import { monotonic, now, startTimer, stopTimer } from '../clock.js';
import { kCreate } from '../connection/internal.js';
import { channels as diagnostics } from '../diagnostics.js';
import { raceBounds } from '../util/race-bounds.js';
import { connectionClosedError, isWsPoolError, poolClosedError, type WsPoolError } from '../errors.js';
import { Pushed, SubscriberBuffer } from './buffer.js';
import { badKey, confirmTimeout, serverEnded, subscriptionsExhausted } from './errors.js';
import { resolveSubscribeOptions } from './options.js';
import { whenFull, type Carrier } from './placement.js';
import { Resubscriber, type ResubscribeTarget } from './resubscribe.js';
import { Placement, PlacementState, ServerSubscription, coalesceKey } from './server-subscription.js';
import { Subscription, type SubscriberOwner } from './subscription.js';
import type { GapInfo, SubscribeOptions, SubscriptionKey, SubscriptionSpec } from './types.js';

/** How a request sent for a subscription settles: called synchronously when its reply is decoded. */
export interface Settle<Res> {
  readonly resolve: (value: Res) => void;
  readonly reject: (error: unknown) => void;
}

/** What subscriptions need from their pool. */
export interface SubscriptionHost<Req, Res, C extends Carrier> {
  /** The pool, for diagnostics payloads. */
  readonly pool: object;
  readonly maxConns: number;
  readonly maxSubscriptionsPerConn: number;
  readonly requestTimeout: number;
  /** `codec.encode(req, undefined)`: the coalescing key (a throw rejects `subscribe()`). */
  encode(req: Req): string | Uint8Array;
  /**
   * The connection a new server subscription goes to, below `max` subscriptions (the pool's
   * placement: `fewestSubscriptions`, or first the endpoint its balance chooses); `undefined` when
   * every open connection is full.
   */
  chooseCarrier(max: number): C | undefined;
  /** Open plus opening connections. */
  total(): number;
  dialing(): number;
  /** Open one more connection; resolves `null` once it is among the carriers, else `{ error }`. */
  dial(): Promise<null | { error: unknown }>;
  /** Resolves when one of the dials under way settles. */
  dialSettled(): Promise<void>;
  /** Send `req` with an id on `channel`; `settle` is called synchronously with its reply. */
  request(channel: C, req: Req, timeout: number, settle: Settle<Res>): void;
  /** Send `req` without an id on `channel`; resolves once written. */
  send(channel: C, req: Req): Promise<void>;
  /** `channel`'s last subscription left it (a draining connection may close now). */
  released(channel: C): void;
  /** A background failure, for `onError`. */
  report(error: unknown, phase: 'resubscribe' | 'unsubscribe'): void;
  /** The pool's dial backoff: ms before attempt `failures + 1`. */
  backoff(failures: number, random: number): number;
}

type Server<Req, Res, C extends Carrier> = ServerSubscription<Req, Res, C>;

export class SubscriptionManager<Req, Res, C extends Carrier> implements SubscriberOwner {
  readonly #host: SubscriptionHost<Req, Res, C>;
  /** Server subscriptions not ended, by coalescing key. */
  readonly #byRequest = new Map<string, Server<Req, Res, C>>();
  readonly #serverOf = new Map<Subscription<never>, Server<Req, Res, C>>();
  /** Abort listeners of subscribers with a `signal`, removed when they leave. */
  readonly #aborts = new Map<Subscription<never>, { signal: AbortSignal; listener: () => void }>();
  readonly #resubscriber: Resubscriber;
  #lastId = 0;
  #closed = false;
  resubscribeCount = 0;
  droppedNotifications = 0;
  unroutedNotifications = 0;

  constructor(host: SubscriptionHost<Req, Res, C>) {
    this.#host = host;
    this.#resubscriber = new Resubscriber((failures, random) => host.backoff(failures, random));
  }

  /** Server subscriptions (coalesced subscribers count once). */
  get subscriptions(): number {
    return this.#byRequest.size;
  }

  get subscribers(): number {
    return this.#serverOf.size;
  }

  // ---- subscribe ---------------------------------------------------------------------------------

  async subscribe<T>(
    spec: SubscriptionSpec<Req, Res>,
    options?: SubscribeOptions<T>,
  ): Promise<Subscription<T>> {
    if (this.#closed) throw poolClosedError('multiplexed pool');
    const opts = resolveSubscribeOptions(spec, options, this.#host.requestTimeout);
    const signal = opts.signal;
    if (signal?.aborted === true) throw signal.reason;
    const encoded = coalesceKey(this.#host.encode(spec.request));
    const deadline = opts.timeout === Infinity ? Infinity : monotonic() + opts.timeout;
    let server = this.#byRequest.get(encoded);
    if (server === undefined) {
      server = new ServerSubscription<Req, Res, C>(encoded, spec);
      this.#byRequest.set(encoded, server);
      void this.#establish(server, deadline, opts.timeout);
    }
    const subscriber = Subscription[kCreate]<T>(
      ++this.#lastId,
      this,
      new SubscriberBuffer(opts.bufferSize, opts.overflow === 'drop-oldest'),
      opts.resubscribe,
      opts.onGap,
    );
    const member = subscriber as unknown as Subscription<never>;
    server.subscribers.add(member);
    this.#serverOf.set(member, server);
    if (!server.confirmed) {
      try {
        await this.#untilReady(server, deadline, opts.timeout, signal);
      } catch (error) {
        subscriber.stop();
        await this.leave(member, false);
        throw error;
      }
    }
    if (signal !== undefined && this.#serverOf.has(member)) {
      const listener = (): void => void subscriber.unsubscribe();
      signal.addEventListener('abort', listener, { once: true });
      this.#aborts.set(member, { signal, listener });
    }
    return subscriber;
  }

  /** Resolves at the first confirmation; rejects at this caller's deadline, abort, or the subscribe's failure. */
  #untilReady(
    server: Server<Req, Res, C>,
    deadline: number,
    timeout: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const ready = server.ready;
    if (ready === undefined) {
      // Settled already: confirmed (resolve), or failed, in which case the server was discarded.
      return server.confirmed ? Promise.resolve() : Promise.reject(poolClosedError('multiplexed pool'));
    }
    if (deadline === Infinity && signal === undefined) return ready;
    return new Promise<void>((resolve, rejectWith) => {
      const reject: (error: unknown) => void = rejectWith; // signal.reason may be any value
      const timer =
        deadline === Infinity
          ? undefined
          : startTimer(() => finish(confirmTimeout(timeout)), Math.max(0, deadline - monotonic()));
      const onAbort = (): void => finish(signal?.reason);
      const finish = (error?: unknown): void => {
        stopTimer(timer);
        signal?.removeEventListener('abort', onAbort);
        if (error === undefined) resolve();
        else reject(error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      ready.then(() => finish(), finish);
    });
  }

  /** The first subscribe: re-sent on another connection when its connection dies before the confirmation. */
  async #establish(server: Server<Req, Res, C>, deadline: number, timeout: number): Promise<void> {
    for (;;) {
      try {
        await this.#attempt(server, deadline, timeout, false, (placement) => {
          server.confirmed = true;
          this.#goLive(server, placement);
          server.resolveReady();
        });
        return;
      } catch (error) {
        const retry =
          isWsPoolError(error, 'WSPOOL_ERR_CONNECTION_CLOSED') && !this.#closed && monotonic() < deadline;
        if (retry && !server.ended) continue;
        server.rejectReady(error);
        this.#discard(server);
        return;
      }
    }
  }

  /**
   * One try at placing `server`: a carrier, then the subscribe message on it. `onLive` runs
   * synchronously with the confirmation, before any notification of the new key can be routed.
   */
  async #attempt(
    server: Server<Req, Res, C>,
    deadline: number,
    timeout: number,
    asNext: boolean,
    onLive: (placement: Placement<C>) => void,
  ): Promise<Placement<C>> {
    const channel = await this.#carrier(deadline, timeout); // counts the subscription on it
    if (server.ended) {
      if (--channel.subscriptions === 0) this.#host.released(channel);
      throw poolClosedError('multiplexed pool'); // everyone left meanwhile; unseen
    }
    const placement = new Placement<C>(server as Server<unknown, unknown, C>, channel);
    if (asNext) server.next = placement;
    else server.current = placement;
    const spec = server.spec;
    try {
      if (typeof spec.key !== 'function') {
        this.#route(placement, spec.key);
        onLive(placement);
        await this.#host.send(channel, spec.request);
      } else {
        const readKey = spec.key;
        await new Promise<void>((resolve, rejectWith) => {
          const reject: (error: unknown) => void = rejectWith;
          // The caller's deadline is enforced where it waits (#untilReady); the request itself
          // lives at least requestTimeout, so a confirmation that comes after the caller gave up
          // is still seen, and unsubscribed, rather than leaked on the server.
          const remaining = Math.max(1, deadline - monotonic(), this.#host.requestTimeout);
          this.#host.request(channel, spec.request, remaining, {
            resolve: (reply) => {
              let key: SubscriptionKey;
              try {
                key = readKey(reply);
                if (typeof key !== 'string' && typeof key !== 'number')
                  throw new TypeError(`got ${typeof key}`);
              } catch (cause) {
                reject(badKey(reply, cause));
                return;
              }
              if (placement.state !== PlacementState.Pending) {
                resolve(); // the connection was lost in the same turn; its loss handling has it
                return;
              }
              this.#route(placement, key);
              if (server.ended) void this.#unsubscribePlacement(placement);
              else onLive(placement);
              resolve();
            },
            reject: (error) => reject(error === undefined ? confirmTimeout(timeout) : error),
          });
        });
      }
    } catch (error) {
      this.#unroute(placement);
      if (server.current === placement) server.current = undefined;
      if (server.next === placement) server.next = undefined;
      throw error;
    }
    return placement;
  }

  /**
   * A connection with room for one more subscription, opening one if needed and allowed; the
   * subscription is already counted on it (the caller takes it off again if it does not stay).
   */
  async #carrier(deadline: number, timeout: number): Promise<C> {
    const host = this.#host;
    for (;;) {
      if (this.#closed) throw poolClosedError('multiplexed pool');
      const carrier = host.chooseCarrier(host.maxSubscriptionsPerConn);
      if (carrier !== undefined) {
        // Counted now, not when the caller resumes: subscribes issued in one turn must each see
        // the others' choices, or they all pile onto one connection past maxSubscriptionsPerConn.
        carrier.subscriptions++;
        return carrier;
      }
      const next = whenFull(host.total(), host.dialing(), host.maxConns);
      if (next === 'exhausted') throw subscriptionsExhausted(host.maxSubscriptionsPerConn, host.maxConns);
      // Bound: the dial's connectTimeout and the pool's close (which aborts dials), and the deadline.
      const waited: Promise<null | undefined | { error: unknown }> =
        next === 'dial' ? host.dial() : host.dialSettled().then(() => undefined);
      const outcome = await this.#beforeDeadline(waited, deadline, timeout);
      if (outcome !== null && outcome !== undefined) throw outcome.error;
    }
  }

  /** `promise`, unless `deadline` (monotonic ms) passes first: then `REQUEST_TIMEOUT`. */
  #beforeDeadline<V>(promise: Promise<V>, deadline: number, timeout: number): Promise<V> {
    if (deadline === Infinity) return promise;
    return raceBounds(promise, [], Math.max(0, deadline - monotonic()), () => confirmTimeout(timeout));
  }

  #route(placement: Placement<C>, key: SubscriptionKey): void {
    placement.key = key;
    placement.state = PlacementState.Live;
    placement.channel.routes.set(key, placement);
  }

  /** Take `placement` off its connection (idempotent). */
  #unroute(placement: Placement<C>): void {
    if (placement.state === PlacementState.Gone) return;
    const channel = placement.channel;
    if (placement.key !== undefined && channel.routes.get(placement.key) === placement) {
      channel.routes.delete(placement.key);
    }
    placement.state = PlacementState.Gone;
    if (--channel.subscriptions === 0) this.#host.released(channel);
  }

  /** `placement` became `server`'s delivering placement. */
  #goLive(server: Server<Req, Res, C>, placement: Placement<C>): void {
    server.current = placement;
    server.key = placement.key;
  }

  // ---- delivery ----------------------------------------------------------------------------------

  /** A notification arrived on `channel`; `false` when no subscription has that key there. */
  deliver(channel: C, key: SubscriptionKey, value: unknown): boolean {
    const placement = channel.routes.get(key) as Placement<C> | undefined;
    if (placement === undefined) {
      this.unroutedNotifications++;
      return false;
    }
    const server = placement.server;
    if (placement === server.current) {
      for (const subscriber of server.subscribers) {
        const pushed = subscriber.push(value);
        if (pushed === Pushed.Kept) continue;
        if (pushed === Pushed.DroppedOldest) this.droppedNotifications++;
        else if (pushed === Pushed.Overflowed) void this.leave(subscriber, true);
      }
    } else if (placement === server.next) {
      placement.held?.push(value); // released, in order, once the old one's unsubscribe is answered
    }
    // Otherwise it is being unsubscribed: nobody listens any more.
    return true;
  }

  /** The server ended the subscription with `key` on `channel`; `false` when there is none. */
  end(channel: C, key: SubscriptionKey, error: unknown): boolean {
    const placement = channel.routes.get(key) as Placement<C> | undefined;
    if (placement === undefined) {
      this.unroutedNotifications++;
      return false;
    }
    const server = placement.server as Server<Req, Res, C>;
    this.#unroute(placement);
    if (placement === server.next) {
      server.next = undefined; // the rotation's new subscription ended: the old one carries on
      return true;
    }
    if (placement !== server.current) return true;
    server.current = undefined;
    const reason = error === undefined || error === null ? undefined : serverEnded(error);
    for (const subscriber of [...server.subscribers]) {
      subscriber.finish(reason);
      void this.leave(subscriber, true);
    }
    return true;
  }

  // ---- leaving -----------------------------------------------------------------------------------

  keyOf(subscriber: Subscription<never>): SubscriptionKey | undefined {
    return this.#serverOf.get(subscriber)?.key;
  }

  /**
   * `subscriber` leaves its server subscription; when it was the last, the server subscription is
   * stopped (the unsubscribe message sent and answered, up to `requestTimeout`). Never rejects.
   * @param quietly the subscriber's iteration goes on (it reads what is buffered, then its error).
   */
  async leave(subscriber: Subscription<never>, quietly = false): Promise<void> {
    const server = this.#serverOf.get(subscriber);
    if (server === undefined) return;
    this.#serverOf.delete(subscriber);
    server.subscribers.delete(subscriber);
    subscriber.left(server.key);
    const abort = this.#aborts.get(subscriber);
    if (abort !== undefined) {
      this.#aborts.delete(subscriber);
      abort.signal.removeEventListener('abort', abort.listener);
    }
    if (!quietly) subscriber.stop();
    if (diagnostics.subscriptionEnd.hasSubscribers) {
      diagnostics.subscriptionEnd.publish({ pool: this.#host.pool, id: subscriber.id, key: server.key });
    }
    if (server.subscribers.size === 0) await this.#stopServer(server);
  }

  async #stopServer(server: Server<Req, Res, C>): Promise<void> {
    this.#discard(server);
    const placements = [server.current, server.next];
    server.current = undefined;
    server.next = undefined;
    await Promise.all(
      placements.map((p) => (p === undefined ? Promise.resolve() : this.#unsubscribePlacement(p))),
    );
  }

  /** Nothing re-establishes `server` any more, and new subscribers start their own. */
  #discard(server: Server<Req, Res, C>): void {
    server.ended = true;
    if (this.#byRequest.get(server.coalesceKey) === server) this.#byRequest.delete(server.coalesceKey);
  }

  /**
   * Stop one placement on the server. Its route stays until the unsubscribe is answered, so late
   * notifications are dropped rather than counted as unrouted. A pending one is stopped when its
   * confirmation arrives (see {@link #attempt}).
   */
  async #unsubscribePlacement(placement: Placement<C>): Promise<void> {
    if (placement.state !== PlacementState.Live) return;
    const server = placement.server as Server<Req, Res, C>;
    const spec = server.spec;
    const channel = placement.channel;
    if (
      spec.unsubscribe === undefined ||
      this.#closed ||
      !channel.routes.has(placement.key as SubscriptionKey)
    ) {
      this.#unroute(placement);
      return;
    }
    let req: Req;
    try {
      req = spec.unsubscribe(placement.key as SubscriptionKey);
    } catch (error) {
      this.#host.report(error, 'unsubscribe');
      this.#unroute(placement);
      return;
    }
    try {
      if (server.fixedKey) await this.#host.send(channel, req);
      else {
        // Bound: requestTimeout (the pool's deadline for every request), the socket's close, close().
        await new Promise<void>((resolve, reject) =>
          this.#host.request(channel, req, this.#host.requestTimeout, { resolve: () => resolve(), reject }),
        );
      }
    } catch (error) {
      // A connection that closed took the subscription with it: nothing is left to report.
      if (!this.#closed && !isWsPoolError(error, 'WSPOOL_ERR_CONNECTION_CLOSED')) {
        this.#host.report(error, 'unsubscribe');
      }
    } finally {
      this.#unroute(placement);
    }
  }

  // ---- connection loss ---------------------------------------------------------------------------

  /** `channel`'s socket closed: its subscriptions are re-established elsewhere (or end). */
  lost(channel: C): void {
    if (this.#closed || channel.routes.size === 0) return;
    const placements = [...channel.routes.values()] as Placement<C>[];
    for (const placement of placements) {
      this.#unroute(placement);
      const server = placement.server as Server<Req, Res, C>;
      if (placement === server.next) {
        server.next = undefined; // a rotation's new placement: the old one still carries it
        continue;
      }
      if (placement !== server.current) continue;
      server.current = undefined;
      const next = server.next;
      if (next !== undefined && next.state === PlacementState.Live) {
        // Mid-rotation: the new placement was confirmed before the loss, so nothing was missed.
        this.#release(server, next);
        continue;
      }
      this.#onLoss(server);
    }
  }

  #onLoss(server: Server<Req, Res, C>): void {
    server.lostAt = now();
    const error = connectionClosedError(1006, 'connection lost');
    for (const subscriber of [...server.subscribers]) {
      if (subscriber.resubscribe) continue;
      subscriber.finish(error);
      void this.leave(subscriber, true);
    }
    if (!server.wantsResubscribe()) return;
    if (server.next !== undefined) return; // a rotation's subscribe is under way: it takes over, with the gap
    this.#resubscriber.start(this.#resubscribeTarget(server));
  }

  #resubscribeTarget(server: Server<Req, Res, C>): ResubscribeTarget {
    const timeout = this.#host.requestTimeout;
    return {
      wanted: () => !this.#closed && server.wantsResubscribe() && server.current === undefined,
      attempt: async (attempt) => {
        const previousKey = server.key;
        await this.#attempt(
          server,
          timeout === Infinity ? Infinity : monotonic() + timeout,
          timeout,
          false,
          (p) => {
            this.#goLive(server, p);
            this.#resumed(server, attempt, previousKey);
          },
        );
      },
      refused: (error) => {
        for (const subscriber of [...server.subscribers]) {
          subscriber.finish(error as WsPoolError);
          void this.leave(subscriber, true);
        }
      },
      failed: (error) => this.#host.report(error, 'resubscribe'),
    };
  }

  /** The re-subscribe was confirmed: every subscriber gets the gap marker ahead of what follows. */
  #resumed(server: Server<Req, Res, C>, attempts: number, previousKey: SubscriptionKey | undefined): void {
    const info: GapInfo = Object.freeze({ lostAt: server.lostAt, resumedAt: now(), attempts });
    server.lostAt = 0;
    for (const subscriber of server.subscribers) subscriber.resumed(info);
    this.resubscribeCount++;
    if (diagnostics.subscriptionResubscribe.hasSubscribers) {
      diagnostics.subscriptionResubscribe.publish({
        pool: this.#host.pool,
        key: server.key,
        previousKey,
        attempts,
        gapMs: info.resumedAt - info.lostAt,
      });
    }
  }

  // ---- rotation ----------------------------------------------------------------------------------

  /**
   * `channel` is past its lifetime: move its subscriptions make-before-break. Idempotent (a
   * subscription already moving is left alone); one that fails to move stays and is tried again
   * at the next call (the pool's next health check).
   */
  rotate(channel: C): void {
    if (this.#closed) return;
    for (const placement of [...channel.routes.values()] as Placement<C>[]) {
      const server = placement.server as Server<Req, Res, C>;
      if (placement !== server.current || server.next !== undefined || server.ended) continue;
      void this.#rotate(server, placement);
    }
  }

  async #rotate(server: Server<Req, Res, C>, old: Placement<C>): Promise<void> {
    const timeout = this.#host.requestTimeout;
    let next: Placement<C>;
    try {
      next = await this.#attempt(
        server,
        timeout === Infinity ? Infinity : monotonic() + timeout,
        timeout,
        true,
        (p) => {
          p.held = [];
        },
      );
    } catch (error) {
      if (this.#closed || server.ended) return;
      this.#host.report(error, 'resubscribe');
      // The old connection was lost while this was under way: recover as from any loss.
      if (server.current === undefined && server.wantsResubscribe()) {
        this.#resubscriber.start(this.#resubscribeTarget(server));
      }
      return;
    }
    // The old stream is delivered until its unsubscribe is answered; the new one is held meanwhile.
    if (server.current === old) await this.#unsubscribePlacement(old);
    if (server.next === next && next.state === PlacementState.Live) this.#release(server, next);
  }

  /** `next` takes over: what it held is delivered, in order, after everything the old one delivered. */
  #release(server: Server<Req, Res, C>, next: Placement<C>): void {
    const held = next.held ?? [];
    next.held = undefined;
    server.next = undefined;
    const wasLost = server.lostAt !== 0 && server.current === undefined;
    this.#goLive(server, next);
    if (wasLost) this.#resumed(server, 1, server.key);
    for (const value of held) this.deliver(next.channel, next.key as SubscriptionKey, value);
  }

  // ---- close -------------------------------------------------------------------------------------

  /** The pool closes: every iteration ends (without an error), pending `subscribe()` calls reject. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#resubscriber.stop();
    const error = poolClosedError('multiplexed pool');
    for (const server of [...this.#byRequest.values()]) {
      server.rejectReady(error);
      this.#discard(server);
    }
    for (const subscriber of [...this.#serverOf.keys()]) void this.leave(subscriber);
  }
}
