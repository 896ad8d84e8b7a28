import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startEchoServer, startScriptedServer, type TestWsServer } from '../helpers/index.js';
import { runCli, startCli } from './run-cli.js';

/** The JSON summary of `wspool bench --json`, as far as these tests read it. */
interface BenchJson {
  command: 'bench';
  url: string;
  embeddedServer: boolean;
  mode: string;
  loop: 'closed' | 'open';
  conns: number;
  payloadBytes: number;
  interrupted: boolean;
  ok: number;
  errors: number;
  cancelled: number;
  throughput: number;
  latency: { count: number; p50: number; p90: number; p99: number; max: number };
  errorsByCode: { code: string; count: number }[];
  pool: Record<string, number>;
}

function parseSummary(stdout: string): BenchJson {
  const summary = JSON.parse(stdout) as BenchJson;
  expect(summary.command).toBe('bench');
  return summary;
}

/** The value row under the `req/s requests errors p50 p90 p99 max` header of the text table. */
function tableRow(stdout: string): string[] {
  const lines = stdout.split('\n');
  const header = lines.findIndex((line) =>
    /^\s+req\/s\s+requests\s+errors\s+p50\s+p90\s+p99\s+max\s*$/.test(line),
  );
  expect(header, stdout).toBeGreaterThan(-1);
  return (lines[header + 1] ?? '').trim().split(/\s{2,}/);
}

const count = (cell: string | undefined): number => Number((cell ?? '').replaceAll(',', ''));

describe('wspool bench', () => {
  let server: TestWsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('runs 2 s against the embedded echo server and prints a table with req/s and p99', async () => {
    const result = await runCli(['bench', '--duration', '2s', '--conns', '2', '--concurrency', '8']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^wspool bench {2}ws:\/\/127\.0\.0\.1:\d+\/ {2}\(embedded echo server\)$/m);
    expect(result.stdout).toContain(
      'exclusive mode, closed loop, concurrency 8, 2 connections, 64 B payload',
    );
    const [rps, requests, errors, p50, p90, p99, max] = tableRow(result.stdout);
    expect(count(rps)).toBeGreaterThan(0);
    expect(count(requests)).toBeGreaterThan(0);
    expect(errors).toBe('0');
    for (const cell of [p50, p90, p99, max]) expect(cell).toMatch(/^[\d.,]+ ms$/);
    expect(result.stdout).toContain('errors by code: none');
    expect(result.stdout).toMatch(/newConnsCount\s+2\b/);
    // Not a terminal: one plain progress line per second on stderr, none rewritten in place.
    expect(result.stderr).toMatch(/^\[ {2}1s\] +[\d,]+ req\/s {3}errors 0 {3}p99 [\d.,]+ ms$/m);
    expect(result.stderr).not.toContain('\r');
  });

  it('--json prints one parsable summary on stdout, its numbers rounded to 3 decimals', async () => {
    const result = await runCli(['bench', '--duration', '1s', '--conns', '3', '--json']);
    expect(result.code, result.stderr).toBe(0);
    // Latencies and throughput are fractions; none is printed with more than 3 decimals.
    expect(result.stdout).toMatch(/": \d+\.\d+/);
    expect(result.stdout).not.toMatch(/": -?\d+\.\d{4,}/);
    const s = parseSummary(result.stdout);
    expect(s).toMatchObject({ embeddedServer: true, mode: 'exclusive', loop: 'closed', conns: 3 });
    expect(s.interrupted).toBe(false);
    expect(s.errors).toBe(0);
    expect(s.errorsByCode).toEqual([]);
    expect(s.ok).toBeGreaterThan(0);
    expect(s.latency.count).toBe(s.ok);
    expect(s.latency.p50).toBeGreaterThan(0);
    expect(s.latency.p50).toBeLessThanOrEqual(s.latency.p90);
    expect(s.latency.p90).toBeLessThanOrEqual(s.latency.p99);
    expect(s.latency.p99).toBeLessThanOrEqual(s.latency.max);
    expect(s.throughput).toBeGreaterThan(0);
    // The pool opened exactly --conns connections before the clock started and kept them.
    expect(s.pool.newConnsCount).toBe(3);
    expect(s.pool.totalConns).toBe(3);
    expect(s.pool.acquireCount).toBeGreaterThanOrEqual(s.ok);
  });

  it('--rate sends on a fixed schedule: exactly rate x duration arrivals, whatever the replies', async () => {
    const result = await runCli(['bench', '--rate', '200', '--duration', '1s', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const s = parseSummary(result.stdout);
    expect(s.loop).toBe('open');
    expect(s.ok + s.errors + s.cancelled).toBe(200);
    expect(s.ok).toBeGreaterThan(0);
  });

  it('loads an external ws server, with the handshake headers and payload size asked for', async () => {
    const headers: (string | string[] | undefined)[] = [];
    server = await startEchoServer({ onConnection: (_ws, req) => headers.push(req.headers['x-bench']) });
    const result = await runCli([
      'bench',
      server.url,
      '--duration',
      '1s',
      '--conns',
      '2',
      '--payload',
      '1k',
      '-H',
      'X-Bench: yes',
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const s = parseSummary(result.stdout);
    expect(s.embeddedServer).toBe(false);
    expect(s.url).toBe(`${server.url}/`);
    expect(s.payloadBytes).toBe(1024);
    expect(s.errors).toBe(0);
    expect(s.ok).toBeGreaterThan(0);
    expect(server.accepted).toBe(2);
    expect(headers).toEqual(['yes', 'yes']);
  });

  it.each(['exclusive', 'multiplex', 'jsonrpc'])(
    'against a dead port (%s mode): exit 1 with the typed error and advice, no table',
    async (mode) => {
      const port = await freePort();
      const result = await runCli(['bench', `ws://127.0.0.1:${port}`, '--mode', mode, '--duration', '1s']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`wspool bench: could not start against ws://127.0.0.1:${port}/`);
      expect(result.stderr).toMatch(/error\s+WSPOOL_ERR_CONNECT_FAILED/);
      expect(result.stderr).toMatch(/cause\s+ECONNREFUSED/);
      expect(result.stderr).toMatch(/advice\s+Nothing is listening on that host and port/);
      expect(result.stdout).toBe('');
    },
  );

  it('against a dead port with --json: the error as JSON on stdout', async () => {
    const port = await freePort();
    const result = await runCli(['bench', `ws://127.0.0.1:${port}`, '--json']);
    expect(result.code).toBe(1);
    const out = JSON.parse(result.stdout) as { ok: boolean; error: { code: string; advice: string } };
    expect(out.ok).toBe(false);
    expect(out.error.code).toBe('WSPOOL_ERR_CONNECT_FAILED');
    expect(out.error.advice).toMatch(/Nothing is listening/);
  });

  it('--mode jsonrpc against a plain echo server says it does not speak JSON-RPC, at once, with the mode to use', async () => {
    server = await startEchoServer();
    const result = await runCli(['bench', server.url, '--mode', 'jsonrpc', '--timeout', '10s', '--json']);
    expect(result.code).toBe(1);
    const out = JSON.parse(result.stdout) as {
      ok: boolean;
      error: { code: string; message: string; advice: string };
    };
    expect(out.ok).toBe(false);
    expect(out.error.code).toBe('NOT_JSON_RPC');
    expect(out.error.message).toMatch(/does not speak JSON-RPC 2\.0: it sent the call back/);
    expect(out.error.advice).toMatch(/--mode exclusive/);
  });

  it('--mode jsonrpc against a server that answers with text that is not JSON says so after --timeout', async () => {
    server = await startScriptedServer((ws) => ws.on('message', () => ws.send('pong')));
    const result = await runCli(['bench', server.url, '--mode', 'jsonrpc', '--timeout', '300ms', '--json']);
    expect(result.code).toBe(1);
    const out = JSON.parse(result.stdout) as { error: { code: string; message: string; advice: string } };
    expect(out.error.code).toBe('NOT_JSON_RPC');
    expect(out.error.message).toMatch(/1 frame that is not a JSON-RPC response/);
  });

  it('--mode multiplex runs many requests per connection against the embedded server', async () => {
    const result = await runCli([
      'bench',
      '--mode',
      'multiplex',
      '--duration',
      '1s',
      '--conns',
      '2',
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const s = parseSummary(result.stdout);
    expect(s.mode).toBe('multiplex');
    expect(s.errors).toBe(0);
    expect(s.ok).toBeGreaterThan(0);
    // Every request (and the warm-up) went over the same two shared connections, ids all matched.
    expect(s.pool.newConnsCount).toBe(2);
    expect(s.pool.requestCount).toBe(s.ok + 1);
    expect(s.pool.unmatchedMessages).toBe(0);
    expect(s.pool.lateReplies).toBe(0);
  });

  it('--mode jsonrpc calls the embedded server over JSON-RPC 2.0', async () => {
    const result = await runCli(['bench', '--mode', 'jsonrpc', '--duration', '1s', '--conns', '2', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const s = parseSummary(result.stdout);
    expect(s.mode).toBe('jsonrpc');
    expect(s.errors).toBe(0);
    expect(s.ok).toBeGreaterThan(0);
  });

  it('--mode jsonrpc sends --method and --params to an external JSON-RPC server', async () => {
    const calls: unknown[] = [];
    server = await startScriptedServer((ws) => {
      ws.on('message', (data: Buffer) => {
        const call = JSON.parse(data.toString()) as { id: number; method: string; params: unknown };
        calls.push({ method: call.method, params: call.params });
        ws.send(JSON.stringify({ jsonrpc: '2.0', id: call.id, result: 'ok' }));
      });
    });
    const result = await runCli([
      'bench',
      server.url,
      '--mode',
      'jsonrpc',
      '--method',
      'eth_blockNumber',
      '--params',
      '["latest",true]',
      '--rate',
      '50',
      '--duration',
      '500ms',
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const s = parseSummary(result.stdout);
    expect(s.ok).toBe(25);
    expect(s.errors).toBe(0);
    // 25 scheduled calls plus the warm-up one, all the same call.
    expect(calls).toHaveLength(26);
    expect(new Set(calls.map((c) => JSON.stringify(c)))).toEqual(
      new Set([JSON.stringify({ method: 'eth_blockNumber', params: ['latest', true] })]),
    );
  });

  it('--mode jsonrpc counts error answers under WSPOOL_ERR_REMOTE, with advice', async () => {
    server = await startScriptedServer((ws) => {
      let first = true;
      ws.on('message', (data: Buffer) => {
        const { id } = JSON.parse(data.toString()) as { id: number };
        // The warm-up call succeeds, so the run starts; every later call is refused.
        const answer = first ? { result: 1 } : { error: { code: -32601, message: 'Method not found' } };
        first = false;
        ws.send(JSON.stringify({ jsonrpc: '2.0', id, ...answer }));
      });
    });
    const result = await runCli([
      'bench',
      server.url,
      '--mode',
      'jsonrpc',
      '--conns',
      '1',
      '--duration',
      '500ms',
    ]);
    expect(result.code).toBe(1); // not one request of the run succeeded
    expect(result.stderr).toContain('wspool bench: not one request succeeded.');
    expect(result.stdout).toMatch(/WSPOOL_ERR_REMOTE\s+[\d,]+\s+/);
    expect(result.stdout).toContain(
      'WSPOOL_ERR_REMOTE: The server answered with an error: check --method and --params.',
    );
  });

  it('Ctrl-C stops early, still prints the summary, and exits 130', async () => {
    const cli = startCli(['bench', '--duration', '60s']);
    await cli.waitFor('stderr', /req\/s/); // the first progress line: the run is under way
    cli.child.kill('SIGINT');
    const result = await cli.exited;
    expect(result.code).toBe(130);
    expect(result.stdout).toContain('(interrupted by Ctrl-C)');
    const [rps, requests] = tableRow(result.stdout);
    expect(count(rps)).toBeGreaterThan(0);
    expect(count(requests)).toBeGreaterThan(0);
  });
});
