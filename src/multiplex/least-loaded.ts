/**
 * Pure policy of the multiplexed pool: which connection takes the next request, and how many
 * connections to open for the requests that found none. No sockets, no timers; unit-tested on
 * numbers alone.
 * @module
 */

/** What the choice looks at on a connection. */
export interface Load {
  /** Requests sent on it and not answered yet. */
  readonly inFlight: number;
  /** Open, and not draining: it may take new requests. */
  readonly accepting: boolean;
}

/**
 * The accepting connection with the fewest requests in flight, below `limit`; `undefined` when
 * every one is full (or none accepts). Ties go to the earliest in `channels`, so under light load
 * the same few connections carry the traffic and the rest become idle and can be closed
 * (`maxConnIdleTime`) instead of all staying lukewarm.
 *
 * O(channels), with an early exit on an empty connection: `channels` holds at most `maxConns`.
 */
export function leastLoaded<C extends Load>(channels: readonly C[], limit: number): C | undefined {
  let best: C | undefined;
  let bestLoad = limit;
  for (let i = 0; i < channels.length; i++) {
    const channel = channels[i] as C;
    if (!channel.accepting) continue;
    const load = channel.inFlight;
    if (load < bestLoad) {
      if (load === 0) return channel;
      best = channel;
      bestLoad = load;
    }
  }
  return best;
}

/**
 * How many dials to start so that `queued` requests will find room: one connection per
 * `perConn` queued requests, minus the dials already under way (any of them will serve the queue),
 * within what `maxConns` leaves. `total` counts open and opening connections.
 */
export function dialsNeeded(
  queued: number,
  perConn: number,
  dialing: number,
  total: number,
  maxConns: number,
): number {
  if (queued === 0) return 0;
  const wanted = Math.ceil(queued / perConn) - dialing;
  return Math.max(0, Math.min(wanted, maxConns - total));
}
