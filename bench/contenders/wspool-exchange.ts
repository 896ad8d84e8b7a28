/**
 * wspool's exclusive `Pool` through `exchange()`: one call that acquires, sends, reads the next
 * message as the reply and releases (destroying the connection if anything fails after the send).
 * Defaults, as `wspool-pool.ts`.
 */
import { createPool } from '../../src/index.js';
import type { Contender, EchoClient } from '../lib/contender.js';

const contender: Contender = {
  name: 'wspool Pool, exchange',

  async echoClient({ url, minConns, maxConns }): Promise<EchoClient> {
    const pool = await createPool({ url, minConns, maxConns });
    return {
      async echo(text) {
        const reply = await pool.exchange(text);
        if (typeof reply !== 'string') throw new Error('the echo came back binary');
        return reply;
      },
      close: () => pool.close(),
    };
  },
};

export default contender;
