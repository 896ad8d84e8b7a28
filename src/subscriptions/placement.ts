/**
 * Where a server subscription goes: pure policy over the pool's open connections, unit-tested on
 * plain objects. A subscription goes to the accepting connection carrying the fewest, below
 * `maxSubscriptionsPerConn` (ties: the oldest); when every one is full the pool opens another, up
 * to `maxConns`; past that, `subscribe()` fails at once rather than overloading a connection.
 * @module
 */
import type { SubscriptionKey } from './types.js';

/** What placement and routing need of a connection. */
export interface Carrier {
  /** Open, and not draining. */
  readonly accepting: boolean;
  /** Server subscriptions on it, pending confirmations included. */
  subscriptions: number;
  /** Live server subscriptions by key. Keys are per connection: servers count them per socket. */
  readonly routes: Map<SubscriptionKey, unknown>;
}

/** The accepting carrier with the fewest subscriptions, below `max`; `undefined` when all are full. */
export function fewestSubscriptions<C extends Carrier>(carriers: readonly C[], max: number): C | undefined {
  let best: C | undefined;
  let bestCount = max;
  for (const carrier of carriers) {
    if (!carrier.accepting || carrier.subscriptions >= bestCount) continue;
    best = carrier;
    bestCount = carrier.subscriptions;
    if (bestCount === 0) break;
  }
  return best;
}

/** With no carrier free: open one, wait for a dial under way, or give up (every connection is full). */
export function whenFull(total: number, dialing: number, maxConns: number): 'dial' | 'wait' | 'exhausted' {
  if (total < maxConns) return 'dial';
  return dialing > 0 ? 'wait' : 'exhausted';
}
