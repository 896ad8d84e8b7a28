/**
 * `tarn` (knex's pool) holding real `ws` connections.
 *
 * tarn opens connections only on demand, so `minConns` is filled by taking that many at once
 * (tarn dials them in parallel) and giving them back. The idle timeout is raised so the reaper
 * does not close connections while other contenders take their turn.
 */
import tarn from 'tarn';

import type { Contender, ExclusivePool } from '../lib/contender.js';
import { closeSocket, openSocket, PooledTextLink } from '../lib/ws-link.js';

const contender: Contender = {
  name: 'tarn + ws',

  async exclusivePool({ url, minConns, maxConns }): Promise<ExclusivePool> {
    const giveBack = (link: PooledTextLink): void => {
      pool.release(link);
    };
    const pool = new tarn.Pool<PooledTextLink>({
      create: async () => new PooledTextLink(await openSocket(url), giveBack),
      destroy: (link: PooledTextLink) => closeSocket(link.socket),
      min: minConns,
      max: maxConns,
      acquireTimeoutMillis: 60_000,
      createTimeoutMillis: 10_000,
      idleTimeoutMillis: 600_000,
      propagateCreateError: true,
    });
    const warm = await Promise.all(Array.from({ length: minConns }, () => pool.acquire().promise));
    for (const link of warm) pool.release(link);
    return {
      acquire: () => pool.acquire().promise,
      async close() {
        await pool.destroy();
      },
    };
  },
};

export default contender;
