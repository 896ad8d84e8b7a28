// The `wspool:connection:*` diagnostics channels: documented payloads, redacted URLs.
import diagnosticsChannel from 'node:diagnostics_channel';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CHANNELS,
  WsPoolError,
  connect,
  type ConnectionCloseMessage,
  type ConnectionErrorMessage,
  type ConnectionOpenMessage,
} from '../../src/index.js';
import {
  freePort,
  startHttpStatusServer,
  startSilentTcpServer,
  type HttpStatusServer,
  type SilentTcpServer,
} from '../helpers/index.js';
import { ConnectionJar, rejectionOf, startPeerServer, until, type PeerServer } from './support.js';

let server: PeerServer;
let unauthorized: HttpStatusServer;
let silent: SilentTcpServer;
const jar = new ConnectionJar();

const opened: ConnectionOpenMessage[] = [];
const closed: ConnectionCloseMessage[] = [];
const errored: ConnectionErrorMessage[] = [];
const onOpen = (m: unknown): void => void opened.push(m as ConnectionOpenMessage);
const onClose = (m: unknown): void => void closed.push(m as ConnectionCloseMessage);
const onError = (m: unknown): void => void errored.push(m as ConnectionErrorMessage);

beforeAll(async () => {
  [server, unauthorized, silent] = await Promise.all([
    startPeerServer({ handleProtocols: () => 'chat' }),
    startHttpStatusServer(401),
    startSilentTcpServer(),
  ]);
  diagnosticsChannel.subscribe(CHANNELS.connectionOpen, onOpen);
  diagnosticsChannel.subscribe(CHANNELS.connectionClose, onClose);
  diagnosticsChannel.subscribe(CHANNELS.connectionError, onError);
});
afterEach(async () => {
  await jar.closeAll();
  opened.length = closed.length = errored.length = 0;
});
afterAll(async () => {
  diagnosticsChannel.unsubscribe(CHANNELS.connectionOpen, onOpen);
  diagnosticsChannel.unsubscribe(CHANNELS.connectionClose, onClose);
  diagnosticsChannel.unsubscribe(CHANNELS.connectionError, onError);
  await Promise.all([server.close(), unauthorized.close(), silent.close()]);
});

const secretUrl = (base: string): string => `ws://admin:hunter2@${new URL(base).host}/feed?key=TOPSECRET`;
const SECRETS = ['hunter2', 'TOPSECRET'];

function expectRedacted(url: string): void {
  for (const secret of SECRETS) expect(url).not.toContain(secret);
  expect(url).toContain('key=***');
}

describe('wspool:connection:open and :close', () => {
  it('publish { url, protocol, connectMs } on open and { url, code, reason, wasClean, durationMs } on close', async () => {
    const conn = jar.add(await connect(secretUrl(server.url), { protocols: ['chat'] }));
    expect(opened).toHaveLength(1);
    const open = opened[0]!;
    expect(open).toEqual({ url: conn.url, protocol: 'chat', connectMs: expect.any(Number) as number });
    expectRedacted(open.url);
    expect(open.connectMs).toBeGreaterThanOrEqual(0);
    expect(closed).toHaveLength(0);

    await conn.close(4010, 'rotating');
    expect(closed).toHaveLength(1);
    const close = closed[0]!;
    expect(close).toEqual({
      url: conn.url,
      code: 4010,
      reason: 'rotating',
      wasClean: true,
      durationMs: expect.any(Number) as number,
    });
    expectRedacted(close.url);
    expect(close.durationMs).toBeGreaterThanOrEqual(0);
    expect(errored).toHaveLength(0);
  });

  it('publish the close of a connection the peer dropped', async () => {
    const conn = jar.add(await connect(server.url));
    const peer = server.peers[server.peers.length - 1]!;
    peer.ws.terminate();
    await conn.closed;
    expect(closed).toEqual([expect.objectContaining({ url: conn.url, code: 1006, wasClean: false })]);
  });
});

describe('wspool:connection:error', () => {
  it('publishes { url, error } for a refused upgrade, with the WsPoolError the caller gets', async () => {
    const rejection = await rejectionOf(connect(secretUrl(unauthorized.url)));
    expect(errored).toHaveLength(1);
    const { url, error } = errored[0]!;
    expectRedacted(url);
    expect(error).toBe(rejection);
    expect(error).toBeInstanceOf(WsPoolError);
    expect(error).toMatchObject({ code: 'WSPOOL_ERR_CONNECT_FAILED', status: 401 });
    expect(opened).toHaveLength(0);
    expect(closed).toHaveLength(0); // a connection that never opened does not "close"
  });

  it('publishes refused and timed-out dials', async () => {
    const port = await freePort();
    await rejectionOf(connect(secretUrl(`ws://127.0.0.1:${port}`)));
    await rejectionOf(connect(secretUrl(silent.url), { connectTimeout: 30 }));
    expect(errored.map((m) => (m.error as WsPoolError).code)).toEqual([
      'WSPOOL_ERR_CONNECT_FAILED',
      'WSPOOL_ERR_CONNECT_TIMEOUT',
    ]);
    for (const { url, error } of errored) {
      expectRedacted(url);
      for (const secret of SECRETS) expect(error.message).not.toContain(secret);
    }
  });

  it('publishes nothing for an aborted dial (the rejection is the caller’s own reason)', async () => {
    const controller = new AbortController();
    const dialing = connect(server.url, { signal: controller.signal });
    controller.abort(new Error('mine'));
    await expect(dialing).rejects.toThrow('mine');
    expect(errored).toHaveLength(0);
  });

  it('publishes a socket error on an open connection (message over maxPayload), then its close', async () => {
    const conn = jar.add(await connect(secretUrl(server.url), { maxPayload: 16 }));
    const peer = server.peers[server.peers.length - 1]!;
    peer.ws.send('this message is longer than sixteen bytes');
    await conn.closed;
    await until(() => errored.length > 0, 'the error publication');
    expect(errored).toHaveLength(1);
    const { url, error } = errored[0]!;
    expect(url).toBe(conn.url);
    expectRedacted(url);
    expect(error).toBeInstanceOf(WsPoolError);
    expect((error as WsPoolError).code).toBe('WSPOOL_ERR_CONNECTION_CLOSED');
    expect((error.cause as { code?: string }).code).toBe('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
    for (const secret of SECRETS) expect(error.message).not.toContain(secret);
    expect(closed).toEqual([expect.objectContaining({ url: conn.url, wasClean: false })]);
  });
});
