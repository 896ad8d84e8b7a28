/**
 * Recipe: log in and subscribe on every new connection with `afterConnect`.
 *
 * `afterConnect(conn)` runs once per connection, right after the handshake and before anyone can
 * borrow it: the place for a login message, a subscription, a protocol hello. A throw discards the
 * connection and fails that dial (`WSPOOL_ERR_CONNECT_FAILED`, your error as `cause`). Replies and
 * pushes still unread when the hook returns are discarded before the first hand-out, so every
 * borrower starts clean.
 *
 * Run: npx tsx examples/recipes/subscribe.ts
 */
import { createPool, isWsPoolError, type Connection } from '../../src/index.js';
import { startLocalServer } from '../local-server.js';

type ServerMessage =
  | { op: 'login'; ok: boolean }
  | { op: 'subscribed'; channel: string }
  | { op: 'trade'; channel: string; seq: number };

/** Log in, then subscribe; runs on each new connection. */
function loginAndSubscribe(apiKey: string, channel: string) {
  return async (conn: Connection): Promise<void> => {
    await conn.sendJSON({ op: 'login', apiKey });
    const login = await conn.readJSON<ServerMessage>({ timeout: 5_000 });
    if (login.op !== 'login' || !login.ok) throw new Error('login rejected');
    await conn.sendJSON({ op: 'subscribe', channel });
    const ack = await conn.readJSON<ServerMessage>({ timeout: 5_000 });
    if (ack.op !== 'subscribed') throw new Error(`unexpected answer to subscribe: ${JSON.stringify(ack)}`);
  };
}

async function main(): Promise<void> {
  // A feed: log in with "demo-key", subscribe to a channel, then receive a trade every 10 ms.
  const server = await startLocalServer((socket) => {
    let timer: NodeJS.Timeout | undefined;
    socket.on('close', () => clearInterval(timer));
    socket.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as { op: string; apiKey?: string; channel?: string };
      if (msg.op === 'login') socket.send(JSON.stringify({ op: 'login', ok: msg.apiKey === 'demo-key' }));
      if (msg.op === 'subscribe' && msg.channel) {
        socket.send(JSON.stringify({ op: 'subscribed', channel: msg.channel }));
        let seq = 0;
        const channel = msg.channel;
        timer = setInterval(() => socket.send(JSON.stringify({ op: 'trade', channel, seq: ++seq })), 10);
      }
    });
  });

  const pool = await createPool({
    url: server.url,
    minConns: 2,
    maxConns: 4,
    afterConnect: loginAndSubscribe('demo-key', 'trades'),
  });
  console.log(`logged in and subscribed on ${pool.stat().totalConns} connections`);

  const trades = await pool.withConnection(async (conn) => {
    const received: number[] = [];
    while (received.length < 3) {
      const msg = await conn.readJSON<ServerMessage>({ timeout: 5_000 });
      if (msg.op === 'trade') received.push(msg.seq);
    }
    return received;
  });
  console.log(`received 3 trades on one borrowed connection: ${trades.length === 3 ? 'ok' : 'MISSING'}`);
  await pool.close();

  // A failing hook fails the dial: createPool rejects, with the hook's error as the cause.
  try {
    await createPool({
      url: server.url,
      minConns: 1,
      afterConnect: loginAndSubscribe('wrong-key', 'trades'),
    });
  } catch (error) {
    if (!isWsPoolError(error, 'WSPOOL_ERR_CONNECT_FAILED')) throw error;
    console.log(`wrong key: ${error.code} (cause: ${(error.cause as Error).message})`);
  }
  await server.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
