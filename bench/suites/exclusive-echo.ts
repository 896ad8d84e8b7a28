/**
 * Suite 2 — exclusive echo: 8 connections, 64 concurrent callers, 64-byte text messages.
 *
 * Each pool caller acquires a connection, sends one message, reads the echo and releases, so 56
 * callers are always queued for the 8 connections: this measures the pool's hand-off under
 * real I/O. The limit is raw `ws` with 8 workers each owning a socket (8 messages in flight,
 * like the pools, and no queue at all). Baseline: raw ws. Latency (suite 5) is per operation,
 * queueing included, so a pool caller's latency is ~8× raw's at equal throughput.
 *
 * @module
 */
import type { Workload } from '../lib/closed-loop.js';
import type { EchoClient, EchoWorkers, ExclusivePool } from '../lib/contender.js';
import type { ThroughputScenario } from '../lib/rounds.js';

const CONNECTIONS = 8;
const CALLERS = 64;
/** 64 bytes of ASCII text: one small text frame each way. */
const PAYLOAD = 'wspool-bench-echo-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ';

function checkEcho(reply: string): void {
  if (reply !== PAYLOAD) throw new Error(`echo mismatch: got ${reply.length} bytes`);
}

function pooledEcho(pool: ExclusivePool): Workload {
  return {
    callers: CALLERS,
    async op() {
      const lease = await pool.acquire();
      await lease.sendMessage(PAYLOAD);
      checkEcho(await lease.readMessage());
      lease.release();
    },
    close: () => pool.close(),
  };
}

function clientEcho(client: EchoClient): Workload {
  return {
    callers: CALLERS,
    async op() {
      checkEcho(await client.echo(PAYLOAD));
    },
    close: () => client.close(),
  };
}

function rawEcho(workers: EchoWorkers): Workload {
  return {
    callers: workers.workers,
    async op(worker) {
      checkEcho(await workers.echo(worker, PAYLOAD));
    },
    close: () => workers.close(),
  };
}

export function exclusiveEchoScenario(url: string): ThroughputScenario {
  if (Buffer.byteLength(PAYLOAD) !== 64) throw new Error('the echo payload must be 64 bytes');
  return {
    suite: '2',
    id: 'exclusive-echo',
    title: 'exclusive echo',
    description: `${CONNECTIONS} connections, ${CALLERS} callers (raw: ${CONNECTIONS} socket-owning workers), 64-byte text`,
    unit: 'req/s',
    baseline: 'raw-ws',
    latency: true,
    prepare(contender) {
      const { exclusivePool, echoWorkers, echoClient } = contender;
      if (exclusivePool !== undefined) {
        return async () =>
          pooledEcho(await exclusivePool({ url, minConns: CONNECTIONS, maxConns: CONNECTIONS }));
      }
      if (echoClient !== undefined) {
        return async () =>
          clientEcho(await echoClient({ url, minConns: CONNECTIONS, maxConns: CONNECTIONS }));
      }
      if (echoWorkers !== undefined) {
        return async () => rawEcho(await echoWorkers({ url, connections: CONNECTIONS }));
      }
      return undefined;
    },
  };
}
