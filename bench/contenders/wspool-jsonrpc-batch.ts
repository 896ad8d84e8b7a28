/**
 * wspool's `JsonRpcPool` with automatic batching on (`batch: true`: up to 100 calls of one
 * event-loop turn per JSON-RPC array frame), otherwise as `wspool-jsonrpc.ts`: same connections,
 * same in-flight share, same server, which answers each array with one array.
 */
import type { Contender } from '../lib/contender.js';
import { openJsonRpcPool } from '../lib/json-rpc-pool.js';

const contender: Contender = {
  name: 'wspool JsonRpcPool, batch',
  rpcClient: ({ url, connections, inFlight }) => openJsonRpcPool(url, connections, inFlight, { batch: true }),
};

export default contender;
