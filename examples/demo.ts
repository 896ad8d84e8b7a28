/**
 * `npm run demo`: the seed's example end to end, with nothing else running. It starts an embedded
 * echo server on 127.0.0.1 (port 0), opens a pool of min 2 / max 10 connections, acquires one,
 * sends "hello", reads the reply, releases it, shows the pool's stats and closes everything.
 */
import { WebSocketServer } from 'ws';
import { createPool } from '../src/index.js';

async function main(): Promise<void> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  server.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  const { port } = server.address() as { port: number };
  const url = `ws://127.0.0.1:${port}`;
  console.log(`echo server listening on ${url}`);

  const pool = await createPool({ url, minConns: 2, maxConns: 10 });
  console.log(`pool ready: ${pool.stat().totalConns} connections open (minConns 2, maxConns 10)`);

  const conn = await pool.acquire();
  await conn.sendMessage('hello');
  const reply = await conn.readMessage({ timeout: 5_000 });
  console.log(`sent "hello", received "${reply}"`);
  conn.release();

  // Ten concurrent callers: the pool grows past minConns to serve them, up to maxConns.
  const replies = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      pool.withConnection(async (c) => {
        await c.sendMessage(`hello ${i}`);
        return c.readMessage({ timeout: 5_000 });
      }),
    ),
  );
  console.log(
    `10 concurrent requests answered: ${replies.every((r, i) => r === `hello ${i}`) ? 'all matched' : 'MISMATCH'}`,
  );

  const stat = pool.stat();
  console.log(
    `stat: total=${stat.totalConns} idle=${stat.idleConns} acquired=${stat.acquiredConns} ` +
      `acquires=${stat.acquireCount} new connections=${stat.newConnsCount}`,
  );
  await pool.close();
  console.log(`pool closed: total=${pool.stat().totalConns}`);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  console.log('server closed');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
