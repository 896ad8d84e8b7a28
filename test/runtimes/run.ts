/**
 * `npm run test:runtimes` (part of `npm test`): runs smoke.mjs on every supported runtime against
 * one server in this process, and prints one line per runtime.
 *
 * The runtimes are npm packages (`node@22`, `node@24`, `bun`, `deno`) declared in this folder's
 * package.json; they are installed with `npm ci` here when one is missing (a fresh clone), and
 * their install scripts (which fetch or place each binary) are allowed by its `allowScripts`. The
 * package is the build in dist/ (the script builds it first); the server is plain `ws`.
 *
 * @module
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { WebSocketServer } from 'ws';

const exec = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
const modules = path.join(here, 'node_modules');
const ENTRY = pathToFileURL(fileURLToPath(new URL('../../dist/index.js', import.meta.url))).href;
const SMOKE = path.join(here, 'smoke.mjs');
/** A smoke run takes a second or two; past this it is hung (a leaked socket or timer), not slow. */
const TIMEOUT_MS = 60_000;
/** Installing the runtimes downloads about 150 MB; past this the registry is unreachable. */
const INSTALL_TIMEOUT_MS = 300_000;

interface Runtime {
  readonly name: string;
  /** The runtime's executable. */
  readonly bin: string;
  /** Arguments before the script. */
  readonly args: readonly string[];
  /** What `--version` must print (its major version pins what package.json asked for). */
  readonly version: RegExp;
}

const RUNTIMES: readonly Runtime[] = [
  // The Node running this script (20 in CI, which also runs the whole suite on it).
  { name: 'node (this one)', bin: process.execPath, args: [], version: /^v\d+\./ },
  { name: 'node 22', bin: path.join(modules, 'node22/bin/node'), args: [], version: /^v22\./ },
  { name: 'node 24', bin: path.join(modules, 'node24/bin/node'), args: [], version: /^v24\./ },
  { name: 'bun', bin: path.join(modules, '.bin/bun'), args: [], version: /^1\./ },
  {
    name: 'deno',
    bin: path.join(modules, '.bin/deno'),
    // Deno asks for permissions: the network (the server on 127.0.0.1), reading the package files,
    // and the environment and system facts `ws` and the pool defaults read.
    args: ['run', '--allow-net=127.0.0.1', '--allow-read', '--allow-env', '--allow-sys'],
    version: /^deno 2\./,
  },
];

/** Installs the runtimes if any is missing: a fresh clone, or a package.json bump. */
async function ensureInstalled(): Promise<void> {
  if (RUNTIMES.every((runtime) => existsSync(runtime.bin))) return;
  await exec('npm', ['ci', '--no-audit', '--no-fund', '--silent'], {
    cwd: here,
    timeout: INSTALL_TIMEOUT_MS,
  });
}

/**
 * Echo server for the smoke suite; also answers JSON-RPC `add` and `tick_subscribe` (a key, then
 * three notifications 1, 2, 3 of it), `count`, and refuses `/refuse`.
 */
async function startServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    verifyClient: (info, done) => (info.req.url === '/refuse' ? done(false, 403) : done(true)),
  });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  server.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => {
      const text = isBinary ? undefined : (data as Buffer).toString('utf8'); // ws's default binaryType: one Buffer;
      if (text === 'count') return socket.send(`open ${server.clients.size}`);
      const rpc = text === undefined ? undefined : answerRpc(text);
      socket.send(rpc ?? data, { binary: isBinary });
      // A subscription: right behind the confirming reply, as a node pushes, three notifications.
      const key = rpc === undefined ? undefined : subscribedKey(rpc);
      for (let n = 1; key !== undefined && n <= 3; n++) {
        socket.send(
          JSON.stringify({
            jsonrpc: '2.0',
            method: 'tick_subscription',
            params: { subscription: key, result: n },
          }),
        );
      }
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}

/** JSON-RPC 2.0 `add` (single or batch); anything else is not JSON-RPC here and is echoed. */
function answerRpc(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const answer = (call: { id?: unknown; method?: unknown; params?: unknown }): object => {
    if (call.method === 'tick_subscribe') return { jsonrpc: '2.0', id: call.id, result: `tick-${++lastKey}` };
    if (call.method === 'tick_unsubscribe') return { jsonrpc: '2.0', id: call.id, result: true };
    const [a, b] = call.params as [number, number];
    return call.method === 'add'
      ? { jsonrpc: '2.0', id: call.id, result: a + b }
      : { jsonrpc: '2.0', id: call.id, error: { code: -32601, message: 'method not found' } };
  };
  if (Array.isArray(parsed)) return JSON.stringify(parsed.map((call) => answer(call as object)));
  const call = (parsed ?? {}) as { jsonrpc?: string; method?: unknown };
  return call.jsonrpc === '2.0' && typeof call.method === 'string' ? JSON.stringify(answer(call)) : undefined;
}

let lastKey = 0;

/** The key a `tick_subscribe` reply carries, if `reply` is one. */
function subscribedKey(reply: string): string | undefined {
  const parsed = JSON.parse(reply) as { result?: unknown };
  return typeof parsed.result === 'string' && parsed.result.startsWith('tick-') ? parsed.result : undefined;
}

/** Runs the smoke suite on `runtime`; resolves with its verdict line, rejects with its output. */
async function smoke(runtime: Runtime, url: string): Promise<string> {
  const { stdout } = await exec(runtime.bin, ['--version'], { timeout: TIMEOUT_MS });
  const version = stdout.split('\n')[0]!;
  if (!runtime.version.test(version.trim())) {
    throw new Error(`${runtime.name}: --version printed ${version.trim()}, expected ${runtime.version}`);
  }
  const child = spawn(runtime.bin, [...runtime.args, SMOKE, ENTRY, url], {
    cwd: here,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // Bounded by TIMEOUT_MS: a run that does not end by itself is killed and fails.
  const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  const last = output.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !last.startsWith('{"passed"')) {
    const why = code === null ? `did not exit within ${TIMEOUT_MS / 1000} s` : `exited with ${code}`;
    throw new Error(`${runtime.name} (${version.trim()}): ${why}\n${output}`);
  }
  const { passed } = JSON.parse(last) as { passed: string[] };
  return `${runtime.name} (${version.trim()}): ${passed.join(', ')}`;
}

async function main(): Promise<number> {
  await ensureInstalled();
  const server = await startServer();
  const failures: string[] = [];
  try {
    for (const runtime of RUNTIMES) {
      try {
        console.log(`✓ ${await smoke(runtime, server.url)}`);
      } catch (error) {
        failures.push(runtime.name);
        console.log(`✗ ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  } finally {
    await server.close();
  }
  console.log(
    failures.length === 0
      ? `runtimes: all ${RUNTIMES.length} passed the smoke suite`
      : `runtimes: FAILED on ${failures.join(', ')}`,
  );
  return failures.length === 0 ? 0 : 1;
}

process.exitCode = await main();
