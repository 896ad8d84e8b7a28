/**
 * wspool's multiplexed `JsonRpcPool`, with its defaults (4 connections, as the scenario asks).
 * A `JsonRpcPool` already is an `RpcClient`: nothing is wrapped. Until `JsonRpcPool` is exported
 * from src/index.ts this module fails to import and the runner prints it as skipped.
 */
import type { Contender } from '../lib/contender.js';
import { openJsonRpcPool } from '../lib/json-rpc-pool.js';

const contender: Contender = {
  name: 'wspool JsonRpcPool',
  rpcClient: ({ url, connections, inFlight }) => openJsonRpcPool(url, connections, inFlight),
};

export default contender;
