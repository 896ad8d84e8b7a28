/**
 * The wspool `JsonRpcPool` contenders' one setup: all connections open up front
 * (`minConns = maxConns`), the per-connection cap an even share of the harness's in-flight calls
 * (nothing queues inside the pool), plus the contender's own options.
 *
 * @module
 */
import { JsonRpcPool, type JsonRpcPoolConfig } from './wspool.js';

export async function openJsonRpcPool(
  url: string,
  connections: number,
  inFlight: number,
  options: Partial<JsonRpcPoolConfig> = {},
): Promise<JsonRpcPool> {
  const pool = new JsonRpcPool({
    url,
    minConns: connections,
    maxConns: connections,
    maxInFlightPerConn: Math.ceil(inFlight / connections),
    ...options,
  });
  // The constructor fills in the background; one call makes sure the pool is usable before
  // the clock starts (the warm-up then brings every connection up to speed).
  await pool.call('echo', []);
  return pool;
}
