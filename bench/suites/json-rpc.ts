/**
 * Suite 3 — multiplexed JSON-RPC 2.0: 4 connections, 256 requests in flight.
 *
 * 256 callers each keep one `echo` call outstanding; the client spreads them over 4 shared
 * connections and matches replies by id. The limit is a hand-written raw `ws` client that
 * pipelines round-robin with an id map. Besides throughput, the client's CPU per request
 * (`process.cpuUsage`, user + system, server excluded: it runs in its own process) shows what
 * the multiplexing layer costs. Baseline: raw ws.
 *
 * @module
 */
import type { Workload } from '../lib/closed-loop.js';
import type { RpcClient } from '../lib/contender.js';
import type { ThroughputScenario } from '../lib/rounds.js';

const CONNECTIONS = 4;
const IN_FLIGHT = 256;
const PARAMS: unknown[] = ['wspool-bench', 42];

function rpcWorkload(client: RpcClient): Workload {
  return {
    callers: IN_FLIGHT,
    async op() {
      const result = await client.call('echo', PARAMS);
      if (!Array.isArray(result) || result.length !== PARAMS.length) {
        throw new Error(`unexpected JSON-RPC result: ${JSON.stringify(result)}`);
      }
    },
    close: () => client.close(),
  };
}

export function jsonRpcScenario(url: string): ThroughputScenario {
  return {
    suite: '3',
    id: 'json-rpc',
    title: 'multiplexed JSON-RPC',
    description: `${CONNECTIONS} connections, ${IN_FLIGHT} requests in flight, method "echo"`,
    unit: 'req/s',
    baseline: 'raw-ws',
    latency: true,
    prepare(contender) {
      const open = contender.rpcClient;
      if (open === undefined) return undefined;
      return async () => rpcWorkload(await open({ url, connections: CONNECTIONS, inFlight: IN_FLIGHT }));
    },
  };
}
