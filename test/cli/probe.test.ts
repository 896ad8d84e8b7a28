import { afterEach, describe, expect, it } from 'vitest';
import {
  freePort,
  startEchoServer,
  startHttpStatusServer,
  startTlsEchoServer,
  type HttpStatusServer,
  type TestWsServer,
} from '../helpers/index.js';
import { runCli } from './run-cli.js';

interface ProbeJson {
  command: 'probe';
  url: string;
  ok: boolean;
  failedPhase: string | null;
  address: string | null;
  timings: {
    dns: number | null;
    tcp: number | null;
    tls: number | null;
    upgrade: number | null;
    total: number;
  };
  httpStatus: number | null;
  subprotocol: string | null;
  extensions: string | null;
  tls: { protocol: string; cipher: string } | null;
  pingMs: number | null;
  error: { code: string; message: string; cause: string | null; advice: string } | null;
}

const CA_FILE = 'test/fixtures/tls/cert.pem';

describe('wspool probe', () => {
  let server: TestWsServer | HttpStatusServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('reports timings, the negotiated subprotocol and extensions, and a ping round trip', async () => {
    server = await startEchoServer({
      perMessageDeflate: true,
      handleProtocols: (offered) => (offered.has('chat.v2') ? 'chat.v2' : false),
    });
    const result = await runCli([
      'probe',
      server.url,
      '--protocol',
      'chat.v1',
      '--protocol',
      'chat.v2',
      '--deflate',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const out = result.stdout;
    expect(out).toContain(`wspool probe  ${server.url}/`);
    expect(out).toMatch(new RegExp(`address\\s+127\\.0\\.0\\.1:${server.port}`));
    expect(out).toMatch(/dns lookup\s+-\n/); // an IP address: nothing to look up
    expect(out).toMatch(/tcp connect\s+[\d.]+ ms\n/);
    expect(out).toMatch(/tls handshake\s+-\n/);
    expect(out).toMatch(/http upgrade\s+[\d.]+ ms {2}\(HTTP 101\)\n/);
    expect(out).toMatch(/subprotocol\s+chat\.v2\n/);
    expect(out).toMatch(/extensions\s+permessage-deflate/);
    expect(out).toMatch(/ping rtt\s+[\d.]+ ms\n/);
  });

  it('--json: phase durations add up to no more than the total', async () => {
    server = await startEchoServer();
    const result = await runCli(['probe', server.url, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(/": -?\d+\.\d{4,}/);
    const p = JSON.parse(result.stdout) as ProbeJson;
    expect(p).toMatchObject({
      ok: true,
      failedPhase: null,
      httpStatus: 101,
      subprotocol: '',
      extensions: null,
    });
    expect(p.timings.dns).toBeNull();
    expect(p.timings.tls).toBeNull();
    expect(p.timings.tcp).toBeGreaterThan(0);
    expect(p.timings.upgrade).toBeGreaterThan(0);
    expect((p.timings.tcp ?? 0) + (p.timings.upgrade ?? 0)).toBeLessThanOrEqual(p.timings.total);
    expect(p.pingMs).toBeGreaterThan(0);
    expect(p.error).toBeNull();
  });

  it('times DNS and TLS for a wss:// host name, trusting --ca', async () => {
    server = await startTlsEchoServer();
    const url = `wss://localhost:${server.port}`;
    const result = await runCli(['probe', url, '--ca', CA_FILE, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const p = JSON.parse(result.stdout) as ProbeJson;
    expect(p.ok).toBe(true);
    expect(p.timings.dns).toBeGreaterThan(0);
    expect(p.timings.tls).toBeGreaterThan(0);
    expect(p.tls?.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(p.pingMs).toBeGreaterThan(0);
  });

  it('an untrusted certificate fails in the TLS phase, with advice to pass --ca', async () => {
    server = await startTlsEchoServer();
    const result = await runCli(['probe', `wss://localhost:${server.port}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/tcp connect\s+[\d.]+ ms\n/);
    expect(result.stderr).toMatch(/tls handshake\s+failed\n/);
    expect(result.stderr).toMatch(/error\s+WSPOOL_ERR_CONNECT_FAILED/);
    expect(result.stderr).toMatch(/cause\s+DEPTH_ZERO_SELF_SIGNED_CERT/);
    expect(result.stderr).toMatch(/advice\s+The server certificate is not trusted: pass its CA with --ca/);
  });

  it('a dead port: exit 1, the typed error with advice, credentials and query values redacted', async () => {
    const port = await freePort();
    const url = `ws://user:S3CRET@127.0.0.1:${port}/feed?token=T0KEN`;
    const result = await runCli(['probe', url]);
    expect(result.code).toBe(1);
    const out = result.stdout + result.stderr;
    expect(out).toContain(`wspool probe  ws://***:***@127.0.0.1:${port}/feed?token=***`);
    expect(out).toMatch(/tcp connect\s+failed\n/);
    expect(out).toMatch(/error\s+WSPOOL_ERR_CONNECT_FAILED/);
    expect(out).toMatch(/advice\s+Nothing is listening on that host and port/);
    expect(out).not.toContain('S3CRET');
    expect(out).not.toContain('T0KEN');
    expect(out).not.toContain('user:');
  });

  it('an HTTP 401 answer: the status, credentials advice, and nothing secret in the JSON', async () => {
    server = await startHttpStatusServer(401);
    const url = `ws://user:S3CRET@127.0.0.1:${server.port}/?token=T0KEN`;
    const result = await runCli(['probe', url, '-H', 'Authorization: Bearer T0KEN', '--json']);
    expect(result.code).toBe(1);
    expect(result.stdout).not.toMatch(/S3CRET|T0KEN/);
    const p = JSON.parse(result.stdout) as ProbeJson;
    expect(p).toMatchObject({ ok: false, failedPhase: 'upgrade', httpStatus: 401 });
    expect(p.error?.code).toBe('WSPOOL_ERR_CONNECT_FAILED');
    expect(p.error?.advice).toMatch(/HTTP 401: check the credentials or token/);
  });

  it('wss:// against a plain-text port: use ws://, not "check that the server is running"', async () => {
    server = await startEchoServer();
    const result = await runCli(['probe', server.url.replace('ws:', 'wss:'), '--json']);
    expect(result.code).toBe(1);
    const p = JSON.parse(result.stdout) as ProbeJson;
    expect(p.error?.message).toMatch(/answered in plain text, not TLS/);
    expect(p.error?.advice).toMatch(/use a ws:\/\/ URL/);
  });

  it('a refused subprotocol: pass the one the server supports with --protocol', async () => {
    server = await startEchoServer({ handleProtocols: () => false });
    const result = await runCli(['probe', server.url, '--protocol', 'mqtt', '--json']);
    expect(result.code).toBe(1);
    const p = JSON.parse(result.stdout) as ProbeJson;
    expect(p.error?.message).toMatch(/accepted none of the subprotocols offered \("mqtt"\)/);
    expect(p.error?.advice).toMatch(/--protocol <name>/);
  });
});
