/**
 * `generic-pool` holding real `ws` connections: the most used Node.js resource pool.
 *
 * Configured the way a user would for this job: no validation on borrow, no evictor (every
 * benchmark pool keeps `min = max`). The pooled resource is a {@link PooledTextLink} created once
 * per socket, so an acquire allocates nothing in the harness.
 */
import genericPool from 'generic-pool';

import type { Contender, ExclusivePool } from '../lib/contender.js';
import { closeSocket, openSocket, PooledTextLink } from '../lib/ws-link.js';

const contender: Contender = {
  name: 'generic-pool + ws',

  async exclusivePool({ url, minConns, maxConns }): Promise<ExclusivePool> {
    const giveBack = (link: PooledTextLink): void => {
      void pool.release(link);
    };
    const pool = genericPool.createPool<PooledTextLink>(
      {
        create: async () => new PooledTextLink(await openSocket(url), giveBack),
        destroy: (link) => closeSocket(link.socket),
      },
      { min: minConns, max: maxConns, testOnBorrow: false, autostart: true },
    );
    // `pool.ready()` polls every 100 ms, which would time the poll rather than the dials; taking
    // `minConns` at once (served by the dials `min` already started) and giving them back waits
    // for exactly the parallel fill.
    const warm = await Promise.all(Array.from({ length: minConns }, () => pool.acquire()));
    for (const link of warm) await pool.release(link);
    return {
      acquire: () => pool.acquire(),
      async close() {
        await pool.drain();
        await pool.clear();
      },
    };
  },
};

export default contender;
