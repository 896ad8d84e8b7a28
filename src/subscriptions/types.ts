/**
 * The public shapes of subscriptions: what a codec decodes a push into, what `subscribe()` takes,
 * and what `onGap` is told.
 * @module
 */

/** A server subscription's key: the id its notifications carry (server-assigned, or client-chosen). */
export type SubscriptionKey = string | number;

/**
 * What `codec.decode` returns for a notification: `value` belongs to the subscription whose key
 * is `subscription` on the connection it arrived on.
 */
export interface SubscriptionNotification {
  /** The key of the subscription it belongs to. */
  subscription: SubscriptionKey;
  /** What the subscriber's iteration yields. */
  value: unknown;
}

/**
 * What `codec.decode` returns when the server ended a subscription (GraphQL `complete`/`error`):
 * its iteration ends (or throws `WSPOOL_ERR_REMOTE` with `error` as `error.data`), and it is not
 * re-subscribed.
 */
export interface SubscriptionEnd {
  /** The key of the subscription the server ended. */
  subscription: SubscriptionKey;
  /** Always `true`. */
  end: true;
  /** Set when the server ended it with an error. */
  error?: unknown;
}

/**
 * What to subscribe to. With a `key` function, `request` is sent like `request()` and `key` reads
 * the key from the confirming reply; with a fixed `key`, `request` is sent like `send()` and the
 * subscription is live at once (protocols where the client names the subscription).
 */
export interface SubscriptionSpec<Req, Res> {
  /** The message that starts the subscription. Identical encodings share one server subscription. */
  request: Req;
  /** Reads the key from the confirming reply, or the fixed key the client chose. */
  key: ((reply: Res) => SubscriptionKey) | SubscriptionKey;
  /** Builds the message that stops the subscription with key `key`. Without it nothing is sent. */
  unsubscribe?(key: SubscriptionKey): Req;
}

/** What `onGap` is told when a subscription was re-established after its connection was lost. */
export interface GapInfo {
  /** Epoch ms when the connection carrying it was lost. */
  readonly lostAt: number;
  /** Epoch ms when the server confirmed the re-subscribe. */
  readonly resumedAt: number;
  /** Re-subscribe attempts, the successful one included. */
  readonly attempts: number;
}

/**
 * Items `onGap` hands back to be yielded in place of the gap: an iterable or async iterable of
 * notifications, or nothing.
 */
export type GapFill<T> = Iterable<T> | AsyncIterable<T> | undefined | void;

/** Options of `subscribe()`. */
export interface SubscribeOptions<T = unknown> {
  /**
   * Before the confirmation, aborting rejects the call with `signal.reason`; later, it
   * unsubscribes like `unsubscribe()`.
   */
  signal?: AbortSignal;
  /**
   * Ms until the server confirms (re-sends on another connection included), then
   * `WSPOOL_ERR_REQUEST_TIMEOUT`. @default config.requestTimeout
   */
  timeout?: number;
  /**
   * Notifications kept for a consumer that reads slower than they arrive.
   * @default 1024
   */
  bufferSize?: number;
  /**
   * When the buffer is full: `'error'` ends the subscription with
   * `WSPOOL_ERR_SUBSCRIPTION_OVERFLOW` once the buffered items are read; `'drop-oldest'` drops the
   * oldest (counted in `stat().droppedNotifications`).
   * @default 'error'
   */
  overflow?: 'error' | 'drop-oldest';
  /**
   * Re-establish the subscription on another connection when its connection is lost. `false`
   * (streams that must not be replayed) ends it with `WSPOOL_ERR_CONNECTION_CLOSED` instead.
   * @default true
   */
  resubscribe?: boolean;
  /**
   * Awaited when the iteration reaches a gap (a re-subscribe after a loss); what it returns is
   * yielded in place, before the first notification of the new server subscription: the hook for
   * backfilling what was missed. A throw ends the iteration with that error.
   */
  onGap?: (gap: GapInfo) => GapFill<T> | Promise<GapFill<T>>;
}
