/**
 * wspool's exclusive `Pool` through `withConnection`, the one call a user writes for a
 * request/reply on a borrowed connection: acquire, the callback (send, read the reply), release.
 * Defaults, as `wspool-pool.ts`.
 */
import { createPool } from '../lib/wspool.js';
import type { Contender, EchoClient } from '../lib/contender.js';

const contender: Contender = {
  name: 'wspool Pool, withConnection',

  async echoClient({ url, minConns, maxConns }): Promise<EchoClient> {
    const pool = await createPool({ url, minConns, maxConns });
    return {
      echo: (text) =>
        pool.withConnection(async (conn) => {
          await conn.sendMessage(text);
          return conn.readMessage();
        }),
      close: () => pool.close(),
    };
  },
};

export default contender;
