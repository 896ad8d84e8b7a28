import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import {
  nextMessage,
  openClient,
  startEchoServer,
  terminateClient,
  type TestWsServer,
} from '../helpers/index.js';
import { runCli, startCli, type CliProcess } from './run-cli.js';

describe('wspool echo-server', () => {
  let cli: CliProcess | undefined;
  let client: WebSocket | undefined;
  let server: TestWsServer | undefined;
  afterEach(async () => {
    if (client) await terminateClient(client);
    cli?.child.kill('SIGKILL');
    await server?.close();
    cli = client = server = undefined;
  });

  it('prints its URL, echoes, answers JSON-RPC 2.0, and stops on Ctrl-C with exit 0', async () => {
    cli = startCli(['echo-server', '--port', '0']);
    const [, url] = await cli.waitFor('stdout', /listening on (ws:\/\/127\.0\.0\.1:\d+) /);
    client = await openClient(url as string);
    const ws = client;
    const ask = async (frame: string | Buffer): Promise<string | Buffer> => {
      const reply = nextMessage(ws);
      ws.send(frame);
      return reply;
    };

    expect(await ask('hello')).toBe('hello');
    expect(await ask(Buffer.from([1, 2, 3]))).toEqual(Buffer.from([1, 2, 3]));
    expect(await ask('{"not":"json-rpc"}')).toBe('{"not":"json-rpc"}');
    expect(
      JSON.parse((await ask('{"jsonrpc":"2.0","id":7,"method":"echo","params":["x",1]}')) as string),
    ).toEqual({
      jsonrpc: '2.0',
      id: 7,
      result: ['x', 1],
    });
    // A batch: one reply per request with an id, none for the notification among them.
    const batch =
      '[{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","method":"n"},{"jsonrpc":"2.0","id":2,"method":"b","params":{"k":true}}]';
    expect(JSON.parse((await ask(batch)) as string)).toEqual([
      { jsonrpc: '2.0', id: 1, result: null },
      { jsonrpc: '2.0', id: 2, result: { k: true } },
    ]);
    // A lone notification gets no answer: the next frame received is the echo sent after it.
    ws.send('{"jsonrpc":"2.0","method":"notify"}');
    expect(await ask('after')).toBe('after');

    cli.child.kill('SIGINT');
    const result = await cli.exited;
    expect(result.code).toBe(0);
  });

  it('a port in use: exit 1 with the reason', async () => {
    server = await startEchoServer();
    const result = await runCli(['echo-server', '--port', String(server.port)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^wspool echo-server: listen EADDRINUSE/);
  });
});
