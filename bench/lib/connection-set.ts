/**
 * "Open N idle connections the way this contender holds them", for the fill and memory tests:
 * a pool with `minConns = maxConns = N` where the contender is a pool, N plain sockets for raw ws.
 *
 * @module
 */
import type { ConnectionSet, Contender } from './contender.js';

/** A dial's limit when opening many at once (see `ExclusivePoolOptions.connectTimeout`). */
const OPEN_TIMEOUT_MS = 120_000;

export type ConnectionSetOpener = (url: string, count: number) => Promise<ConnectionSet>;

/** The opener for `contender`, or `undefined` when it can do neither. */
export function connectionSetOpener(contender: Contender): ConnectionSetOpener | undefined {
  const { exclusivePool, openConnections } = contender;
  if (exclusivePool !== undefined)
    return (url, count) =>
      exclusivePool({ url, minConns: count, maxConns: count, connectTimeout: OPEN_TIMEOUT_MS });
  if (openConnections !== undefined) return (url, count) => openConnections({ url, count });
  return undefined;
}
