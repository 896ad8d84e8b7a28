/**
 * The seam between a {@link MultiplexPool} and an application protocol: how a request becomes a
 * frame carrying a correlation id, and how an inbound frame is recognised as the reply to one.
 * The pool knows nothing else about the protocol.
 * @module
 */
import type { Message } from '../connection/inbox.js';
import type { SubscriptionEnd, SubscriptionNotification } from '../subscriptions/types.js';

/**
 * What {@link Codec.decode} makes of a reply: the correlation id it answers, and either the value
 * (`ok: true`) or the server's error (`ok: false`, rejected as `WSPOOL_ERR_REMOTE` with `error` as
 * `error.data`).
 */
export type Reply<Res> =
  | {
      /** The correlation id of the request this frame answers. */
      id: number;
      /** A success. */
      ok: true;
      /** What the request resolves with. */
      value: Res;
    }
  | {
      /** The correlation id of the request this frame answers. */
      id: number;
      /** A failure, reported by the server. */
      ok: false;
      /** The server's error: the request rejects `WSPOOL_ERR_REMOTE` with it as `error.data`. */
      error: unknown;
    };

/**
 * What {@link Codec.decode} may make of a frame: a reply; a notification of a subscription
 * (`{ subscription, value }`); the server's end of one (`{ subscription, end: true, error? }`); or
 * `undefined` (neither: it goes to `onMessage`).
 */
export type Decoded<Res> = Reply<Res> | SubscriptionNotification | SubscriptionEnd | undefined;

/**
 * Turns requests into frames and frames into replies, for one protocol. Called synchronously on
 * the pool's hot path: keep both functions cheap and free of I/O.
 *
 * @example
 * ```ts
 * // `<id> <text>` requests, answered by `<id> ok <text>` or `<id> err <text>`.
 * const lines: Codec<string, string> = {
 *   encode: (text, id) => (id === undefined ? `- ${text}` : `${id} ${text}`),
 *   decode(frame) {
 *     if (typeof frame !== 'string') return undefined;
 *     const [id, status, ...rest] = frame.split(' ');
 *     if (!/^\d+$/.test(id ?? '')) return undefined; // a push, not a reply
 *     const text = rest.join(' ');
 *     return status === 'ok' ? { id: Number(id), ok: true, value: text } : { id: Number(id), ok: false, error: text };
 *   },
 * };
 * ```
 */
export interface Codec<Req, Res> {
  /**
   * The frame for `req`: a `string` goes as a text frame, a `Uint8Array` as a binary frame. `id` is
   * the correlation id the reply must carry back (a positive integer, unique among the pool's
   * pending requests), or `undefined` for `send()`, which expects no reply. A throw rejects that
   * request (or `send()`) with what was thrown; nothing is sent.
   */
  encode(req: Req, id: number | undefined): string | Uint8Array;
  /**
   * The reply carried by an inbound frame; for `subscribe()`, a notification
   * `{ subscription, value }` or a server-side end `{ subscription, end: true, error? }` (routed by
   * the key on the connection it arrived on); or `undefined` when the frame is none of these (a
   * server push): those go to `onMessage`. A throw counts as a protocol error
   * (`stat().protocolErrors`) and drops that frame; the connection stays up.
   */
  decode(frame: Message): Decoded<Res>;
}
