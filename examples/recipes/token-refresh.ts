/**
 * Recipe: refresh an auth token before each dial with `beforeConnect`.
 *
 * `beforeConnect` runs before every dial — the first fill, growth under load, replacements of
 * expired or broken connections — with a mutable `{ url, headers }`. Put a token that is valid
 * *now* into the handshake; cache it and fetch a new one only when it is about to expire.
 *
 * Run: npx tsx examples/recipes/token-refresh.ts
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createPool } from '../../src/index.js';
import { startLocalServer } from '../local-server.js';

/** Stands in for your identity provider: issues short-lived bearer tokens. */
class TokenIssuer {
  readonly #expiry = new Map<string, number>();
  #issued = 0;
  constructor(readonly ttlMs: number) {}

  async issue(): Promise<{ token: string; expiresAt: number }> {
    await sleep(5); // a network round trip
    const token = `token-${++this.#issued}`;
    const expiresAt = Date.now() + this.ttlMs;
    this.#expiry.set(token, expiresAt);
    return { token, expiresAt };
  }

  isValid(token: string | undefined): boolean {
    return token !== undefined && (this.#expiry.get(token) ?? 0) > Date.now();
  }

  get issued(): number {
    return this.#issued;
  }
}

/** A cached token, refreshed when less than `marginMs` of its life is left. */
function tokenCache(issuer: TokenIssuer, marginMs: number): () => Promise<string> {
  let current: { token: string; expiresAt: number } | undefined;
  let pending: Promise<{ token: string; expiresAt: number }> | undefined;
  return async () => {
    if (!current || current.expiresAt - Date.now() < marginMs) {
      // Concurrent dials share one refresh.
      pending ??= issuer.issue().finally(() => (pending = undefined));
      current = await pending;
    }
    return current.token;
  };
}

async function main(): Promise<void> {
  const issuer = new TokenIssuer(300);
  const bearer = (header: string | undefined) => header?.replace(/^Bearer /, '');
  // The server refuses the upgrade (HTTP 401) unless the token is valid right now.
  const server = await startLocalServer(
    (socket, request) => {
      socket.on('message', () => socket.send(`authenticated as ${bearer(request.headers.authorization)}`));
    },
    (info) => issuer.isValid(bearer(info.req.headers.authorization)),
  );

  const getToken = tokenCache(issuer, 100);
  const pool = await createPool({
    url: server.url,
    minConns: 1,
    maxConns: 2,
    beforeConnect: async (ctx) => {
      ctx.headers.authorization = `Bearer ${await getToken()}`;
      // A query-string token works too: ctx.url.searchParams.set('token', ...). wspool redacts
      // query values and credentials in `conn.url`, errors and diagnostics.
    },
  });

  const first = await pool.acquire();
  await first.sendMessage('whoami');
  console.log(`connection 1: ${await first.readMessage({ timeout: 5_000 })}`);

  await sleep(issuer.ttlMs); // token-1 expires; connection 1 stays open (tokens are checked at the handshake)
  console.log('token-1 expired');

  const second = await pool.acquire(); // connection 1 is borrowed: the pool dials, with a fresh token
  await second.sendMessage('whoami');
  console.log(`connection 2: ${await second.readMessage({ timeout: 5_000 })}`);

  first.release();
  second.release();
  console.log(`dials: ${pool.stat().newConnsCount}, tokens issued: ${issuer.issued}`);
  await pool.close();
  await server.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
