/**
 * The open connections of a multiplexed pool with `endpoints`: the same set, but a request goes
 * first to the endpoint the balance chooses — least `(in flight + 1) × latency ÷ weight`, or the
 * `'priority'` target — and then to that endpoint's least-loaded connection with room. When the
 * chosen endpoint has no connection yet (new, re-admitted, or the target after a failback), the
 * pool is asked to open one there, and meanwhile the request takes the best endpoint that has
 * room: a request never waits for a dial another endpoint makes unnecessary.
 *
 * Single-`url` pools use {@link ChannelSet} itself: none of this is on their path.
 * @module
 */
import type { Endpoint, EndpointSet } from '../endpoints/endpoint-set.js';
import { ChannelSet, type Channel } from './channel.js';

export class EndpointChannelSet extends ChannelSet {
  readonly #endpoints: EndpointSet;
  readonly #want: (endpoint: Endpoint) => void;

  /** @param want called with an endpoint the balance chose but where no connection has room. */
  constructor(endpoints: EndpointSet, want: (endpoint: Endpoint) => void) {
    super();
    this.#endpoints = endpoints;
    this.#want = want;
  }

  override choose(limit: number): Channel | undefined {
    const best = this.#bestPerEndpoint(limit);
    const endpoints = this.#endpoints;
    const wanted = endpoints.pick('inFlight');
    if (wanted !== undefined) {
      const channel = best.get(wanted);
      if (channel !== undefined) return channel;
      this.#want(wanted);
    }
    if (best.size === 0) return undefined;
    const endpoint = endpoints.pick('inFlight', undefined, (e) => best.has(e));
    return endpoint === undefined ? undefined : best.get(endpoint);
  }

  /**
   * Where a new server subscription goes: first the endpoint the balance chooses by subscriptions
   * — least `(subscriptions + 1) × latency ÷ weight`, or the `'priority'` target — among those with
   * a connection below `max`; then, within it, the connection with the fewest. `undefined` when no
   * endpoint has room (the pool then opens a connection, on the endpoint its dial picks).
   */
  override chooseCarrier(max: number): Channel | undefined {
    const endpoints = this.#endpoints;
    for (const endpoint of endpoints.list) endpoint.subscriptions = 0;
    const best = new Map<Endpoint, Channel>();
    for (const channel of this.list) {
      const endpoint = channel.endpoint;
      if (endpoint === undefined) continue;
      endpoint.subscriptions += channel.subscriptions;
      if (!channel.accepting || channel.subscriptions >= max || !channel.conn.isOpen) continue;
      const held = best.get(endpoint);
      if (held === undefined || channel.subscriptions < held.subscriptions) best.set(endpoint, channel);
    }
    if (best.size === 0) return undefined;
    const endpoint = endpoints.pick('subscriptions', undefined, (e) => best.has(e));
    return endpoint === undefined ? undefined : best.get(endpoint);
  }

  /** Bring each endpoint's `inFlight` up to date (for `stat()` and the choice). */
  countInFlight(): void {
    for (const endpoint of this.#endpoints.list) endpoint.inFlight = 0;
    for (const channel of this.list)
      if (channel.endpoint !== undefined) channel.endpoint.inFlight += channel.inFlight;
  }

  /**
   * Per endpoint, its accepting connection with the fewest in flight below `limit` (ties: the
   * oldest). Counts each endpoint's requests in flight on the way. A socket whose close has begun
   * stops accepting here, as in {@link ChannelSet.choose}.
   */
  #bestPerEndpoint(limit: number): Map<Endpoint, Channel> {
    for (const endpoint of this.#endpoints.list) endpoint.inFlight = 0;
    const best = new Map<Endpoint, Channel>();
    for (const channel of this.list) {
      const endpoint = channel.endpoint;
      if (endpoint === undefined) continue;
      endpoint.inFlight += channel.inFlight;
      if (!channel.accepting || channel.inFlight >= limit) continue;
      if (!channel.conn.isOpen) {
        channel.accepting = false;
        continue;
      }
      const held = best.get(endpoint);
      if (held === undefined || channel.inFlight < held.inFlight) best.set(endpoint, channel);
    }
    return best;
  }
}
