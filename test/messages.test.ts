// Error messages in the user's words, each with the advice that fits: a mistyped option name, a
// TLS handshake against a plain-text port, a refused subprotocol, an acquire that timed out. Real
// servers on 127.0.0.1:0; the last test reads src/ for pool-internal words in messages.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonRpcPool, MultiplexPool, Pool, WsPoolError, connect, type Codec } from '../src/index.js';
import { closestName } from '../src/util/validate.js';
import { startEchoServer, type TestWsServer } from './helpers/index.js';
import { thrownBy, wsErrorOf } from './helpers/async.js';

const codec: Codec<string, string> = {
  encode: (req) => req,
  decode: () => undefined,
};

let plain: TestWsServer;
let noProtocol: TestWsServer;
let otherProtocol: TestWsServer;
beforeAll(async () => {
  plain = await startEchoServer();
  noProtocol = await startEchoServer({ handleProtocols: () => false });
  otherProtocol = await startEchoServer({ handleProtocols: () => 'v9' });
});
afterAll(async () => {
  await Promise.all([plain.close(), noProtocol.close(), otherProtocol.close()]);
});

describe('a mistyped option name', () => {
  it.each([
    ['Pool', () => new Pool({ url: plain.url, maxConn: 3 } as never), 'maxConn', 'maxConns', 'pool'],
    ['Pool (case)', () => new Pool({ url: plain.url, maxconns: 3 } as never), 'maxconns', 'maxConns', 'pool'],
    [
      'Pool (a connect option)',
      () => new Pool({ url: plain.url, keepAliveIntervall: 1 } as never),
      'keepAliveIntervall',
      'keepAliveInterval',
      'pool',
    ],
    [
      'MultiplexPool',
      () => new MultiplexPool({ url: plain.url, codec, maxInflightPerConn: 2 } as never),
      'maxInflightPerConn',
      'maxInFlightPerConn',
      'multiplexed pool',
    ],
    [
      'JsonRpcPool',
      () => new JsonRpcPool({ url: plain.url, reqestTimeout: 5 } as never),
      'reqestTimeout',
      'requestTimeout',
      'multiplexed pool',
    ],
  ])('%s: names it and suggests the option meant', (_label, make, typed, meant, where) => {
    const error = thrownBy(make, 'WSPOOL_ERR_INVALID_CONFIG');
    expect(error.message).toBe(`Unknown ${where} option \`${typed}\`: did you mean \`${meant}\`?`);
  });

  it('connect() and tls options suggest too', async () => {
    const error = await wsErrorOf(
      connect(plain.url, { conectTimeout: 5 } as never),
      'WSPOOL_ERR_INVALID_CONFIG',
    );
    expect(error.message).toMatch(/did you mean `connectTimeout`\?/);
    const tls = await wsErrorOf(
      connect(plain.url, { tls: { rejectUnauthorised: false } } as never),
      'WSPOOL_ERR_INVALID_CONFIG',
    );
    expect(tls.message).toMatch(
      /Unknown tls option `rejectUnauthorised`: did you mean `rejectUnauthorized`\?/,
    );
  });

  it('lists the options when nothing is close', () => {
    const error = thrownBy(
      () => new Pool({ url: plain.url, colour: 'blue' } as never),
      'WSPOOL_ERR_INVALID_CONFIG',
    );
    expect(error.message).toMatch(/^Unknown pool option `colour`; the pool options are: .*maxConns/);
  });

  it('suggests only names within a third of their length', () => {
    const names = ['maxConns', 'minConns', 'url', 'pingTimeout'];
    expect(closestName('maxConn', names)).toBe('maxConns');
    expect(closestName('mxaConns', names)).toBe('maxConns'); // a swap is one edit
    expect(closestName('uri', names)).toBe('url');
    expect(closestName('pingtimeout', names)).toBe('pingTimeout');
    expect(closestName('timeout', names)).toBeUndefined();
    expect(closestName('x', names)).toBeUndefined();
  });
});

describe('connect failures with their own advice', () => {
  it('a wss:// URL on a plain-text port says to use ws://, without the raw OpenSSL text', async () => {
    const url = plain.url.replace('ws:', 'wss:');
    const error = await wsErrorOf(connect(url), 'WSPOOL_ERR_CONNECT_FAILED');
    expect(error.message).toMatch(/answered in plain text, not TLS/);
    expect(error.message).toContain(`Use ${plain.url}/ for a plain-text port`);
    expect(error.message).not.toMatch(/wrong version number|SSL routines|server is running/);
    expect((error.cause as Error).message).toMatch(/wrong version number/); // the detail stays in cause
  });

  it('a server that upgrades but accepts none of the subprotocols offered: check the protocols option', async () => {
    const error = await wsErrorOf(
      connect(noProtocol.url, { protocols: ['graphql-transport-ws', 'graphql-ws'] }),
      'WSPOOL_ERR_CONNECT_FAILED',
    );
    expect(error.message).toMatch(
      /upgraded the connection but accepted none of the subprotocols offered \("graphql-transport-ws", "graphql-ws"\); check the protocols option/,
    );
    expect(error.message).not.toMatch(/server is running/);
    const other = await wsErrorOf(
      connect(otherProtocol.url, { protocols: 'v1' }),
      'WSPOOL_ERR_CONNECT_FAILED',
    );
    expect(other.message).toMatch(
      /with a subprotocol that was not offered \(offered: "v1"\); check the protocols option/,
    );
  });
});

describe('the acquire timeout', () => {
  it('speaks of connections and maxConns, never of resources or slots', async () => {
    const pool = new Pool({ url: plain.url, maxConns: 1 });
    try {
      const held = await pool.acquire();
      const error = await wsErrorOf(pool.acquire({ timeout: 20 }), 'WSPOOL_ERR_ACQUIRE_TIMEOUT');
      expect(error.message).toMatch(
        /No connection became free within 20 ms: all 1 connections \(maxConns\) are in use/,
      );
      expect(error.message).toMatch(/raise maxConns or the acquire timeout/);
      expect(error.message).not.toMatch(/resource|slot/i);
      const now = await wsErrorOf(pool.acquire({ timeout: 0 }), 'WSPOOL_ERR_ACQUIRE_TIMEOUT');
      expect(now.message).not.toMatch(/resource|slot/i);
      held.release();
    } finally {
      await pool.close({ timeout: 0 });
    }
  });

  it('no message in src/ says "resource(s)" or "slot(s)"', () => {
    const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');
    const offending: string[] = [];
    const visit = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) visit(file);
        else if (file.endsWith('.ts')) {
          readFileSync(file, 'utf8')
            .split('\n')
            .forEach((line, i) => {
              if (/^\s*(import|export .* from|\/\/|\*|\/\*\*)/.test(line)) return;
              // String and template literals on the line (messages are written on one line).
              for (const literal of line.match(/'[^']*'|`[^`]*`|"[^"]*"/g) ?? []) {
                if (/\b(resources?|slots?)\b/i.test(literal)) offending.push(`${file}:${i + 1}: ${literal}`);
              }
            });
        }
      }
    };
    visit(root);
    expect(offending).toEqual([]);
  });

  it('is a WsPoolError (sanity for the table in docs/errors.md)', () => {
    expect(new WsPoolError('WSPOOL_ERR_ACQUIRE_TIMEOUT', 'x')).toBeInstanceOf(Error);
  });
});
