import type WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startScriptedServer, type TestWsServer } from '../helpers/index.js';
import { runCli, startCli } from './run-cli.js';

let server: TestWsServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

const TIMESTAMP = String.raw`\d\d:\d\d:\d\d\.\d{3}`;

describe('wspool watch', () => {
  it('prints each push with its time, survives a lost connection by resubscribing, and sums up on Ctrl-C', async () => {
    let accepted = 0;
    const subscribes: string[] = [];
    server = await startScriptedServer((ws: WebSocket) => {
      const n = ++accepted;
      ws.on('message', (data) => {
        subscribes.push((data as Buffer).toString());
        ws.send(`tick ${n}-1`);
        ws.send(`tick ${n}-2`);
        // The first connection dies without a close frame once it has pushed its two messages.
        if (n === 1) setImmediate(() => ws.terminate());
      });
    });
    const cli = startCli(['watch', server.url, '--send', 'subscribe']);
    await cli.waitFor('stdout', /tick 2-2/);
    await cli.waitFor('stderr', /reconnected after a gap of [\d.]+ s/);
    cli.child.kill('SIGINT');
    const result = await cli.exited;
    expect(result.code, result.stderr).toBe(0);
    expect(subscribes).toEqual(['subscribe', 'subscribe']);
    expect(result.stdout).toMatch(new RegExp(`^${TIMESTAMP}  tick 1-1\\n${TIMESTAMP}  tick 1-2\\n`));
    expect(result.stdout.trim().split('\n')).toHaveLength(4);
    expect(result.stderr).toMatch(/connected to ws:\/\/127\.0\.0\.1:\d+/);
    expect(result.stderr).toMatch(/connection lost .*; reconnecting/);
    expect(result.stderr).toMatch(/wspool watch: 4 messages in [\d.]+ s \([\d.]+\/s\), 1 reconnect\n$/);
  });

  it('--jsonrpc-subscribe calls the method with the params, prints the reply and the notifications, --count stops it', async () => {
    const requests: unknown[] = [];
    server = await startScriptedServer((ws: WebSocket) => {
      ws.on('message', (data) => {
        const request = JSON.parse((data as Buffer).toString()) as { id: number };
        requests.push(request);
        ws.send(JSON.stringify({ jsonrpc: '2.0', id: request.id, result: '0xabc' }));
        for (const n of [1, 2, 3]) {
          const params = { subscription: '0xabc', result: { n } };
          ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'eth_subscription', params }));
        }
      });
    });
    const result = await runCli([
      'watch',
      server.url,
      '["newHeads"]',
      '--jsonrpc-subscribe',
      'eth_subscribe',
      '--count',
      '3',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(requests).toEqual([{ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }]);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(new RegExp(`^${TIMESTAMP}  \\{"jsonrpc":"2.0","id":1,"result":"0xabc"\\}$`));
    expect(lines[2]).toContain('"result":{"n":2}');
    expect(result.stderr).toMatch(/wspool watch: 3 messages in .*, 0 reconnects\n$/);
  });

  it('exits 1 with the typed error when the first connect fails', async () => {
    const port = await freePort();
    const result = await runCli(['watch', `ws://127.0.0.1:${port}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/could not connect to ws:\/\/127\.0\.0\.1:\d+/);
    expect(result.stderr).toContain('WSPOOL_ERR_CONNECT_FAILED');
    expect(result.stdout).toBe('');
  });

  it('rejects params without --jsonrpc-subscribe', async () => {
    const result = await runCli(['watch', 'ws://127.0.0.1:1', '[1]']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^wspool watch: expected one url .*; see wspool watch --help\n$/);
  });
});
