/**
 * One server subscription — what the server knows as one key — and its placements on connections.
 * Subscribers whose `request` encodes identically share it (coalescing); each keeps its own
 * buffer and policy.
 *
 *     Placement:  pending ──confirmed──▶ live ──unsubscribed / connection lost / ended──▶ gone
 *
 * A server subscription has at most two placements: `current`, whose notifications are delivered,
 * and, during a rotation (make-before-break), `next`, whose notifications are held until
 * `current`'s unsubscribe is answered, then released in order.
 * @module
 */
import type { Subscription } from './subscription.js';
import type { Carrier } from './placement.js';
import type { SubscriptionKey, SubscriptionSpec } from './types.js';

export const enum PlacementState {
  Pending,
  Live,
  Gone,
}

export class Placement<C extends Carrier = Carrier> {
  state = PlacementState.Pending;
  key: SubscriptionKey | undefined;
  /** Notifications held while this placement waits to take over (rotation). */
  held: unknown[] | undefined;

  constructor(
    readonly server: ServerSubscription<unknown, unknown, C>,
    readonly channel: C,
  ) {}
}

export class ServerSubscription<Req, Res, C extends Carrier = Carrier> {
  readonly subscribers = new Set<Subscription<never>>();
  current: Placement<C> | undefined;
  next: Placement<C> | undefined;
  /** The last key the server gave it (kept across a loss, for `Subscription.key`). */
  key: SubscriptionKey | undefined;
  /** Confirmed at least once: `subscribe()` callers joining now resolve at once. */
  confirmed = false;
  /** Every subscriber left, or the server ended it: nothing re-establishes it any more. */
  ended = false;
  /** Epoch ms of the loss being recovered from (0: none). */
  lostAt = 0;
  /**
   * Settles with the first confirmation (or the failure of the first subscribe); dropped once
   * settled, so a live subscription keeps no promise.
   */
  ready: Promise<void> | undefined;
  #resolve: (() => void) | undefined;
  #reject: ((error: unknown) => void) | undefined;

  constructor(
    readonly coalesceKey: string,
    readonly spec: SubscriptionSpec<Req, Res>,
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.ready.catch(() => undefined); // each caller awaits it under its own deadline
  }

  /** The first confirmation arrived. */
  resolveReady(): void {
    this.#resolve?.();
    this.#settled();
  }

  /** The first subscribe failed (or the pool closed first). */
  rejectReady(error: unknown): void {
    this.#reject?.(error);
    this.#settled();
  }

  #settled(): void {
    this.ready = undefined;
    this.#resolve = undefined;
    this.#reject = undefined;
  }

  /** The client chose the key: sent like `send()`, live at once, no confirmation. */
  get fixedKey(): boolean {
    return typeof this.spec.key !== 'function';
  }

  /** Some subscriber wants it re-established after a loss. */
  wantsResubscribe(): boolean {
    if (this.ended) return false;
    for (const subscriber of this.subscribers) if (subscriber.resubscribe) return true;
    return false;
  }
}

/** The coalescing key of an encoded request. */
export function coalesceKey(frame: string | Uint8Array): string {
  return typeof frame === 'string' ? `t${frame}` : `b${Buffer.from(frame).toString('base64')}`;
}
