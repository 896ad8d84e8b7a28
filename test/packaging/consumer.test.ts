// The packed tarball, as a user gets it (see packed.ts), imported from ESM and required from
// CommonJS by a JavaScript consumer. That consumer has no @opentelemetry/api at all: it is an
// optional peer dependency. The TypeScript consumers are in types-matrix.test.ts.
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exec, pack, root, runNode, type Packed } from './packed.js';

let packed: Packed;

beforeAll(async () => {
  packed = await pack();
}, 120_000);

afterAll(async () => {
  await packed?.dispose();
});

describe('the packed tarball', () => {
  it('holds the dual build of both entry points with their types, and no sources, maps or tests', () => {
    for (const entry of ['index', 'otel']) {
      for (const ext of ['js', 'cjs', 'd.ts', 'd.cts'])
        expect(packed.files).toContain(`dist/${entry}.${ext}`);
    }
    expect(packed.files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json']));
    for (const file of packed.files) expect(file).toMatch(/^(dist\/|LICENSE$|README\.md$|package\.json$)/);
    expect(packed.files.filter((file) => file.endsWith('.map'))).toEqual([]);
  });

  it('ships the CLI: the packed dist/cli.js runs and reports the package version', async () => {
    expect(packed.files).toContain('dist/cli.js');
    const dir = await packed.consumer('cli', ['ws'], {});
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

  it('ships one copy of the library: the CLI imports the library build instead of bundling its own', async () => {
    const dir = await packed.consumer('cli-imports', [], {});
    const cli = await readFile(path.join(dir, 'node_modules/wspool/dist/cli.js'), 'utf8');
    expect(cli).toContain('from "./index.js"');
    for (const name of ['Connection', 'Pool', 'MultiplexPool', 'WsPoolError']) {
      // esbuild writes a bundled class as `var Name = class …`.
      expect(cli).not.toMatch(new RegExp(`\\b(class ${name}|var ${name} = class)\\b`));
    }
  });

  it('never references @opentelemetry/api at run time: not from wspool, not from wspool/otel', async () => {
    const dir = await packed.consumer('inspect', [], {});
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
    dir = await packed.consumer('js', ['ws', '@types/ws'], {
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
