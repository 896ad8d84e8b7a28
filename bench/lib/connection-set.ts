/**
 * "Open N idle connections the way this contender holds them", for the fill and memory tests:
 * a pool with `minConns = maxConns = N` where the contender is a pool, N plain sockets for raw ws.
 *
 * @module
 */
import type { ConnectionSet, Contender } from './contender.js';

export type ConnectionSetOpener = (url: string, count: number) => Promise<ConnectionSet>;

/** The opener for `contender`, or `undefined` when it can do neither. */
export function connectionSetOpener(contender: Contender): ConnectionSetOpener | undefined {
  const { exclusivePool, openConnections } = contender;
  if (exclusivePool !== undefined)
    return (url, count) => exclusivePool({ url, minConns: count, maxConns: count });
  if (openConnections !== undefined) return (url, count) => openConnections({ url, count });
  return undefined;
}
