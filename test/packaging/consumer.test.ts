// The packed tarball, as a user gets it: built once into a staging folder (the repo's dist/ is left
// alone), `npm pack`ed, unpacked into temporary consumer projects whose node_modules link to the
// repo's copies of ws, @types/node and @opentelemetry/api (no network), then imported from ESM,
// required from CommonJS, and type-checked from TypeScript with moduleResolution node16 and bundler.
// The JavaScript consumer has no @opentelemetry/api at all: it is an optional peer dependency.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = (name: string): string => path.join(root, 'node_modules', '.bin', name);

let work: string;
let tarball: string;
let packedFiles: string[];

/** Unpack the tarball as `<dir>/node_modules/wspool` and link the given repo packages beside it. */
async function consumer(name: string, links: string[], files: Record<string, string>): Promise<string> {
  const dir = path.join(work, name);
  const modules = path.join(dir, 'node_modules');
  await mkdir(path.join(modules, '@types'), { recursive: true });
  await mkdir(path.join(modules, '@opentelemetry'), { recursive: true });
  await exec('tar', ['-xzf', tarball, '-C', modules]);
  await rename(path.join(modules, 'package'), path.join(modules, 'wspool'));
  for (const pkg of links) {
    await symlink(path.join(root, 'node_modules', pkg), path.join(modules, pkg), 'dir');
  }
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
  return dir;
}

/** Run a consumer script with node; its last stdout line is JSON. */
async function runNode(cwd: string, file: string): Promise<Record<string, unknown>> {
  const { stdout } = await exec(process.execPath, [file], { cwd, timeout: 30_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

/** Type-check with the repo's tsc; resolves with its output, rejects (with the output) on errors. */
async function tsc(cwd: string, project: string): Promise<string> {
  try {
    const { stdout } = await exec(
      process.execPath,
      [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', project],
      {
        cwd,
        timeout: 60_000,
      },
    );
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`tsc -p ${project} failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'wspool-consumer-'));
  const stage = path.join(work, 'stage');
  await mkdir(stage);
  await exec(bin('tsup'), ['--out-dir', path.join(stage, 'dist')], { cwd: root, timeout: 90_000 });
  for (const file of ['package.json', 'README.md', 'LICENSE']) {
    await cp(path.join(root, file), path.join(stage, file));
  }
  const { stdout } = await exec('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: stage,
    timeout: 60_000,
  });
  const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  tarball = path.join(work, packed!.filename);
  packedFiles = packed!.files.map((f) => f.path).sort();
}, 120_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('holds the dual build of both entry points with their types, and no sources or tests', () => {
    for (const entry of ['index', 'otel']) {
      for (const ext of ['js', 'cjs', 'd.ts', 'd.cts']) expect(packedFiles).toContain(`dist/${entry}.${ext}`);
    }
    expect(packedFiles).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json']));
    for (const file of packedFiles) expect(file).toMatch(/^(dist\/|LICENSE$|README\.md$|package\.json$)/);
  });

  it('ships the CLI: the packed dist/cli.js runs and reports the package version', async () => {
    expect(packedFiles).toContain('dist/cli.js');
    const dir = await consumer('cli', ['ws'], {});
    const manifest = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as {
      version: string;
    };
    const { stdout } = await exec(
      process.execPath,
      [path.join(dir, 'node_modules/wspool/dist/cli.js'), '--version'],
      {
        cwd: dir,
        timeout: 30_000,
      },
    );
    expect(stdout).toBe(`wspool ${manifest.version}\n`);
  });

  it('never references @opentelemetry/api at run time: not from wspool, not from wspool/otel', async () => {
    const dir = await consumer('inspect', [], {});
    const dist = path.join(dir, 'node_modules/wspool/dist');
    for (const file of (await readdir(dist)).filter((f) => /\.(c?js)$/.test(f))) {
      expect(await readFile(path.join(dist, file), 'utf8'), file).not.toContain('@opentelemetry');
    }
    // The otel types do name it (a type-only import), which is why it is a peer dependency.
    expect(await readFile(path.join(dist, 'otel.d.ts'), 'utf8')).toContain("from '@opentelemetry/api'");
  });
});

const SERVER = `
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  server.on('connection', (s) => s.on('message', (data, isBinary) => s.send(data, { binary: isBinary })));
  const url = 'ws://127.0.0.1:' + server.address().port;
`;

describe('a JavaScript consumer without @opentelemetry/api installed', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await consumer('js', ['ws', '@types/ws'], {
      'package.json': JSON.stringify({ name: 'js-consumer', private: true, type: 'module' }),
      'esm.mjs': `
        import { createRequire } from 'node:module';
        import { WebSocketServer } from 'ws';
        import { createPool, JsonRpcPool, WsPoolError, CHANNELS } from 'wspool';
        import { instrumentPool } from 'wspool/otel';
        const require = createRequire(import.meta.url);
        ${SERVER}
        const pool = await createPool({ url, minConns: 1, maxConns: 2 });
        const reply = await pool.withConnection(async (conn) => {
          await conn.sendJSON({ from: 'esm' });
          return conn.readJSON({ timeout: 5000 });
        });
        await pool.close();
        server.close();
        let api = 'installed';
        try { await import('@opentelemetry/api'); } catch { api = 'missing'; }
        const cjs = require('wspool');
        console.log(JSON.stringify({
          reply,
          closed: pool.stat().totalConns,
          channel: CHANNELS.poolAcquire,
          instrumentPool: typeof instrumentPool,
          JsonRpcPool: typeof JsonRpcPool,
          api,
          crossFormatInstanceof: new cjs.WsPoolError('WSPOOL_ERR_POOL_CLOSED', 'x') instanceof WsPoolError,
        }));
      `,
      'cjs.cjs': `
        const { WebSocketServer } = require('ws');
        const { connect, Pool } = require('wspool');
        const { instrumentPool } = require('wspool/otel');
        const { version } = require('wspool/package.json');
        (async () => {
          ${SERVER}
          const conn = await connect(url);
          await conn.sendMessage('from cjs');
          const reply = await conn.readMessage({ timeout: 5000 });
          await conn.close();
          server.close();
          let api = 'installed';
          try { require('@opentelemetry/api'); } catch { api = 'missing'; }
          console.log(JSON.stringify({ reply, Pool: typeof Pool, instrumentPool: typeof instrumentPool, version, api }));
        })().catch((error) => { console.error(error); process.exitCode = 1; });
      `,
    });
  });

  it('imports wspool and wspool/otel from ESM and talks to a server', async () => {
    expect(await runNode(dir, 'esm.mjs')).toEqual({
      reply: { from: 'esm' },
      closed: 0,
      channel: 'wspool:pool:acquire',
      instrumentPool: 'function',
      JsonRpcPool: 'function',
      api: 'missing',
      crossFormatInstanceof: true,
    });
  });

  it('requires wspool, wspool/otel and wspool/package.json from CommonJS and talks to a server', async () => {
    const { version } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(await runNode(dir, 'cjs.cjs')).toEqual({
      reply: 'from cjs',
      Pool: 'function',
      instrumentPool: 'function',
      version,
      api: 'missing',
    });
  });
});

// Type-level use of the public API; `@ts-expect-error` lines prove the types resolved (with `any`
// they would be unused, which is itself an error).
const TS_ESM = `
import { metrics } from '@opentelemetry/api';
import {
  CHANNELS,
  JsonRpcPool,
  MultiplexPool,
  WsPoolError,
  connect,
  createPool,
  type Codec,
  type ConnectionCloseMessage,
  type Pool,
  type PoolConfig,
  type PoolStat,
  type PooledConnection,
} from 'wspool';
import { instrumentPool, type PoolInstrumentation } from 'wspool/otel';

export async function main(url: string): Promise<number> {
  const config: PoolConfig = {
    url,
    minConns: 1,
    beforeConnect: ({ headers }) => {
      headers.authorization = 'Bearer token';
    },
  };
  await using pool: Pool = await createPool(config);
  const instrumentation: PoolInstrumentation = instrumentPool(pool, metrics.getMeter('consumer'), {
    attributes: { 'pool.name': 'consumer' },
  });
  instrumentation.unregister();
  const reply = await pool.withConnection(async (conn: PooledConnection) => {
    await conn.sendJSON({ op: 'ping' });
    return conn.readJSON<{ op: string }>({ timeout: 1_000 });
  });
  const op: string = reply.op;
  const stat: PoolStat = pool.stat();
  // @ts-expect-error not a field of PoolStat
  void stat.notAField;
  // @ts-expect-error maxConn is a typo of maxConns
  await createPool({ url, maxConn: 2 });
  const channel: 'wspool:connection:close' = CHANNELS.connectionClose;
  const onClose = (message: ConnectionCloseMessage): number => message.code;
  try {
    await using conn = await connect(url);
    await conn.send(new Uint8Array([1, 2]));
  } catch (error) {
    if (error instanceof WsPoolError && error.code === 'WSPOOL_ERR_CONNECT_FAILED') return error.status ?? 0;
  }
  return stat.totalConns + op.length + channel.length + onClose.length;
}

export async function multiplexed(url: string): Promise<string> {
  await using rpc = new JsonRpcPool({ url, maxInFlightPerConn: 16 });
  const sum: number = await rpc.call<number>('add', [1, 2]);
  const codec: Codec<{ q: string }, { a: string }> = {
    encode: (req, id) => JSON.stringify({ id, ...req }),
    decode: (frame) => (typeof frame === 'string' ? { id: 1, ok: true, value: { a: frame } } : undefined),
  };
  await using pool = new MultiplexPool({ url, codec });
  const reply: { a: string } = await pool.request({ q: 'x' }, { timeout: 1_000 });
  // @ts-expect-error the request type is { q: string }
  await pool.request({ nope: 1 });
  return reply.a + String(sum) + String(rpc.stat().inFlight);
}
`;

const TS_CJS = `
import { createPool, type PoolStat } from 'wspool';
import { instrumentPool } from 'wspool/otel';

export async function stat(url: string): Promise<PoolStat> {
  const pool = await createPool({ url });
  try {
    return pool.stat();
  } finally {
    await pool.close({ timeout: 1_000 });
  }
}
export const instrument: typeof instrumentPool = instrumentPool;
`;

const compilerOptions = {
  target: 'ES2022',
  lib: ['ES2023', 'ESNext.Disposable'],
  strict: true,
  exactOptionalPropertyTypes: true,
  noEmit: true,
  skipLibCheck: false,
  types: ['node'],
};

describe('a TypeScript consumer', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await consumer('ts', ['ws', '@types/ws', '@types/node', '@opentelemetry/api'], {
      'package.json': JSON.stringify({ name: 'ts-consumer', private: true, type: 'module' }),
      'src/esm.ts': TS_ESM,
      'src/cjs.cts': TS_CJS,
      'tsconfig.node16.json': JSON.stringify({
        compilerOptions: { ...compilerOptions, module: 'node16', moduleResolution: 'node16' },
        files: ['src/esm.ts', 'src/cjs.cts'],
      }),
      'tsconfig.bundler.json': JSON.stringify({
        compilerOptions: { ...compilerOptions, module: 'esnext', moduleResolution: 'bundler' },
        files: ['src/esm.ts'],
      }),
    });
  });

  it('type-checks with moduleResolution node16, from ESM and from CommonJS (.cts)', async () => {
    await tsc(dir, 'tsconfig.node16.json');
  }, 60_000);

  it('type-checks with moduleResolution bundler', async () => {
    await tsc(dir, 'tsconfig.bundler.json');
  }, 60_000);

  it('fails to type-check a misuse (the check is not vacuous)', async () => {
    await writeFile(
      path.join(dir, 'src/bad.ts'),
      `import { createPool } from 'wspool';\nexport const p: Promise<string> = createPool({ url: 'ws://x' });\n`,
    );
    await writeFile(
      path.join(dir, 'tsconfig.bad.json'),
      JSON.stringify({
        // The libraries were checked above; this run only needs the misuse in bad.ts.
        compilerOptions: {
          ...compilerOptions,
          module: 'node16',
          moduleResolution: 'node16',
          skipLibCheck: true,
        },
        files: ['src/bad.ts'],
      }),
    );
    await expect(tsc(dir, 'tsconfig.bad.json')).rejects.toThrow(/TS2322/);
  }, 60_000);
});
