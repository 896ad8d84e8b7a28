/**
 * Subscriptions of the multiplexed pools: placement, routing, per-subscriber buffers, the
 * resubscribe loop and send pacing. Used by the pools; imports none of them.
 * @module
 */
export { Subscription } from './subscription.js';
export { SendRate } from './send-rate.js';
export { SubscriptionManager, type SubscriptionHost, type Settle } from './manager.js';
export type { Carrier } from './placement.js';
export type {
  GapFill,
  GapInfo,
  SubscribeOptions,
  SubscriptionEnd,
  SubscriptionKey,
  SubscriptionNotification,
  SubscriptionSpec,
} from './types.js';
