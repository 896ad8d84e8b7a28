/**
 * Suite 1 — acquire + release of an idle connection, no I/O.
 *
 * What a pool adds to every checkout when the network is not involved: finding an idle
 * connection, handing it out, taking it back. Every pool holds real `ws` connections, all open
 * before the clock starts (`minConns = maxConns`), and there are as many connections as callers,
 * so no caller ever waits for another. Baseline: generic-pool.
 *
 * @module
 */
import type { Workload } from '../lib/closed-loop.js';
import type { ExclusivePool } from '../lib/contender.js';
import type { ThroughputScenario } from '../lib/rounds.js';

function acquireRelease(pool: ExclusivePool, callers: number): Workload {
  return {
    callers,
    async op() {
      const lease = await pool.acquire();
      lease.release();
    },
    close: () => pool.close(),
  };
}

const SHAPES = [
  { callers: 1, conns: 8 },
  { callers: 100, conns: 100 },
] as const;

export function acquireReleaseScenarios(url: string): ThroughputScenario[] {
  return SHAPES.map(({ callers, conns }) => ({
    suite: '1',
    id: `acquire-release-c${callers}`,
    title: `acquire + release, c=${callers}`,
    description: `${conns} idle connections, ${callers} caller${callers === 1 ? '' : 's'}, no I/O`,
    unit: 'ops/s',
    baseline: 'generic-pool',
    latency: false,
    prepare(contender) {
      const open = contender.exclusivePool;
      if (open === undefined) return undefined;
      return async () => acquireRelease(await open({ url, minConns: conns, maxConns: conns }), callers);
    },
  }));
}
