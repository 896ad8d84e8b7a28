/**
 * How a layer on top of the core turns a handed-over resource into its own handle, at the moment
 * of hand-over. See {@link ResourcePool.acquireThrough}.
 *
 * @module
 */
import type { Resource } from './resource.js';

/**
 * Strategy object for {@link ResourcePool.acquireThrough}: one per layer (a pool keeps one for
 * its whole life), with the per-acquire state passed as `context`, so an acquire allocates no
 * closure for it.
 *
 * Why it exists: a layer that awaits `acquire()` and then wraps the resource pays a second
 * promise, an async frame and two microtask hops on every hand-off from a queue. With a lender
 * the core calls `lend` synchronously inside `release()` (or when the create finishes) and the
 * acquire's one promise resolves with the handle.
 */
export interface Lender<T, R, C> {
  /**
   * The acquire that passed `context` now holds `resource` (acquired; `resource.acquiredAt` is the
   * hand-over time), after waiting `waitedMs` ms (0 when an idle one was taken at once). Return
   * what the acquire resolves with, or a promise of it (a check that needs I/O). Must not throw:
   * a throw rejects the acquire with that error and destroys the resource, whose state is then
   * unknown.
   */
  lend(resource: Resource<T>, waitedMs: number, context: C): R | PromiseLike<R>;
  /**
   * The acquire that passed `context` gave up before getting a resource: its signal aborted or
   * its timeout elapsed. It rejects with that reason; this only lets the layer count it.
   */
  canceled(context: C): void;
}
