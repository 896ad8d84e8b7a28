/**
 * wspool's exclusive `Pool` through `exchange()`: one call that acquires, sends, reads the next
 * message as the reply and releases (destroying the connection if anything fails after the send).
 * Defaults, as `wspool-pool.ts`.
 */
import { createPool } from '../lib/wspool.js';
import type { Contender, EchoClient } from '../lib/contender.js';

const contender: Contender = {
  name: 'wspool Pool, exchange',

  async echoClient({ url, minConns, maxConns }): Promise<EchoClient> {
    const pool = await createPool({ url, minConns, maxConns });
    return {
      // A binary reply is not the payload: the scenario's check fails it.
      echo: (text) => pool.exchange(text) as Promise<string>,
      close: () => pool.close(),
    };
  },
};

export default contender;
