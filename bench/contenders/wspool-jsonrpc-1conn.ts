/**
 * wspool's `JsonRpcPool` on one connection, every call in flight on it: the same socket count as
 * the single-socket JSON-RPC clients (viem, ethers, rpc-websockets).
 */
import type { Contender } from '../lib/contender.js';
import { openJsonRpcPool } from '../lib/json-rpc-pool.js';

const contender: Contender = {
  name: 'wspool JsonRpcPool, 1 conn',
  rpcClient: ({ url, inFlight }) => openJsonRpcPool(url, 1, inFlight),
};

export default contender;
