/**
 * The generic resource pool core: bounded, LIFO idle reuse, FIFO waiters, owned creates, close.
 * Knows nothing about WebSockets; `src/ws-pool/` builds the connection `Pool` on it.
 *
 * @module
 */
export { ResourcePool } from './resource-pool.js';
export { Resource, type ResourceState } from './resource.js';
export type { Lender } from './lender.js';
export type { AcquireOptions, CloseOptions, ResourcePoolOptions } from './options.js';
export type { ResourcePoolStat } from './stat.js';
