/**
 * Recipe: graceful shutdown on SIGTERM with `close({ timeout })`.
 *
 * `pool.close({ timeout })` rejects new and queued acquires with `WSPOOL_ERR_POOL_CLOSED`, closes
 * idle connections at once, lets borrowed ones finish (each closes on release), terminates whatever
 * is still borrowed when `timeout` ms have passed, and resolves once every socket is closed and no
 * timer is left — so the process can exit on its own.
 *
 * Run: npx tsx examples/recipes/graceful-shutdown.ts (it sends itself SIGTERM after a moment)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createPool, isWsPoolError, type Pool } from '../../src/index.js';
import { startLocalServer } from '../local-server.js';

/** Send requests one after another until the pool closes. */
async function worker(pool: Pool, id: number): Promise<number> {
  let done = 0;
  for (;;) {
    try {
      await pool.withConnection(async (conn) => {
        await conn.sendMessage(`job ${id}.${done}`);
        await conn.readMessage({ timeout: 5_000 });
      });
      done++;
    } catch (error) {
      if (isWsPoolError(error, 'WSPOOL_ERR_POOL_CLOSED')) return done; // shutting down
      throw error;
    }
  }
}

async function main(): Promise<void> {
  // A slow echo server: each reply takes 20 ms, so requests are in flight when SIGTERM arrives.
  const server = await startLocalServer((socket) => {
    socket.on('message', (data: Buffer) => setTimeout(() => socket.send(data.toString()), 20));
  });
  const pool = await createPool({ url: server.url, minConns: 2, maxConns: 4 });
  const workers = [1, 2, 3].map((id) => worker(pool, id));
  console.log(`3 workers running on ${pool.stat().totalConns} connections`);

  process.once('SIGTERM', () => {
    console.log('SIGTERM: closing the pool (in-flight requests may finish, 5 s at most)');
    void (async () => {
      await pool.close({ timeout: 5_000 });
      const stat = pool.stat();
      console.log(`pool closed: ${stat.totalConns} connections open, ${stat.acquireCount} requests served`);
      const counts = await Promise.all(workers);
      console.log(`workers stopped after ${counts.join(', ')} requests`);
      await server.close();
      // Nothing is left to keep the event loop alive: the process exits by itself, with code 0.
    })().catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
  });

  await sleep(150);
  process.kill(process.pid, 'SIGTERM'); // your orchestrator does this on a deploy or scale-down
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
