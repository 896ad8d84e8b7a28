/**
 * The standalone client: `connect()` without a pool — send and read, typed reads with timeouts,
 * iterate messages, ping, close. `await using` closes the connection at the end of the scope.
 *
 * Run: npx tsx examples/standalone.ts
 */
import { connect, isWsPoolError } from '../src/index.js';
import { startLocalServer } from './local-server.js';

async function main(): Promise<void> {
  // Echoes every message; on "stream" sends three messages and closes normally (1000).
  const server = await startLocalServer((socket) => {
    socket.on('message', (data: Buffer, isBinary) => {
      if (data.toString() === 'stream') {
        for (const n of [1, 2, 3]) socket.send(JSON.stringify({ n }));
        socket.close(1000, 'done');
      } else {
        socket.send(data, { binary: isBinary });
      }
    });
  });

  {
    await using conn = await connect(server.url, { connectTimeout: 5_000 });
    await conn.sendMessage('hello');
    console.log(`text: ${await conn.readMessage({ timeout: 1_000 })}`);

    await conn.sendBinary(new Uint8Array([1, 2, 3]));
    console.log(`binary: ${(await conn.readBinary({ timeout: 1_000 })).length} bytes`);

    await conn.sendJSON({ op: 'quote', symbol: 'WSP' });
    const quote = await conn.readJSON<{ op: string; symbol: string }>({ timeout: 1_000 });
    console.log(`json: ${quote.op} ${quote.symbol}`);

    // A read timeout consumes nothing and rejects with a typed error.
    try {
      await conn.readMessage({ timeout: 50 });
    } catch (error) {
      if (!isWsPoolError(error, 'WSPOOL_ERR_READ_TIMEOUT')) throw error;
      console.log(`nothing to read: ${error.code}`);
    }

    console.log(`ping: ${(await conn.ping()) >= 0 ? 'pong' : '?'}`);
  } // closed here (close frame 1000, then the socket)

  // Iterate until the server closes normally: the loop ends without an error.
  await using conn = await connect(server.url);
  await conn.sendMessage('stream');
  const received: unknown[] = [];
  for await (const message of conn) received.push(JSON.parse(message as string));
  const { code, reason } = await conn.closed;
  console.log(`streamed ${received.length} messages, then the server closed with ${code} ${reason}`);
  await server.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
