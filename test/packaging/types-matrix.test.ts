// The packed tarball type-checked by TypeScript consumers, as strict as users make them: every
// \`module\`/\`moduleResolution\` mode a project may use (node16, nodenext, bundler, and node10 for
// CommonJS projects), ESM and CommonJS files, \`skipLibCheck: false\` (wspool's own declarations
// are checked too), with and without \`esModuleInterop\`.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pack, tsc, type Packed } from './packed.js';

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

/** Each mode: its module options and the files it compiles (ESM `.ts`, CommonJS `.cts`/`.ts`). */
const MODES = {
  node16: { options: { module: 'node16', moduleResolution: 'node16' }, files: ['src/esm.ts', 'src/cjs.cts'] },
  nodenext: {
    options: { module: 'nodenext', moduleResolution: 'nodenext' },
    files: ['src/esm.ts', 'src/cjs.cts'],
  },
  bundler: { options: { module: 'esnext', moduleResolution: 'bundler' }, files: ['src/esm.ts'] },
  // A CommonJS project on the classic resolution: \`types\`/\`typesVersions\`, not \`exports\`.
  node10: { options: { module: 'commonjs', moduleResolution: 'node10' }, files: ['src/cjs-node10.ts'] },
} as const;

const MATRIX = Object.keys(MODES).flatMap((mode) =>
  [true, false].map((esModuleInterop) => [mode as keyof typeof MODES, esModuleInterop] as const),
);

let packed: Packed;
let dir: string;

beforeAll(async () => {
  packed = await pack();
  const files: Record<string, string> = {
    'package.json': JSON.stringify({ name: 'ts-consumer', private: true, type: 'module' }),
    'src/esm.ts': TS_ESM,
    'src/cjs.cts': TS_CJS,
    'src/cjs-node10.ts': TS_CJS,
  };
  for (const [mode, esModuleInterop] of MATRIX) {
    files[`tsconfig.${mode}.${esModuleInterop}.json`] = JSON.stringify({
      compilerOptions: { ...compilerOptions, ...MODES[mode].options, esModuleInterop },
      files: MODES[mode].files,
    });
  }
  dir = await packed.consumer('ts', ['ws', '@types/ws', '@types/node', '@opentelemetry/api'], files);
}, 120_000);

afterAll(async () => {
  await packed?.dispose();
});

// One tsc at a time: each checks all of @types/node (skipLibCheck: false); run side by side they
// only compete for the same cores with the rest of the suite.
describe('a strict TypeScript consumer (skipLibCheck: false)', () => {
  it.each(MATRIX)(
    'type-checks with moduleResolution %s, esModuleInterop: %s',
    async (mode, interop) => {
      await tsc(dir, `tsconfig.${mode}.${interop}.json`);
    },
    240_000,
  );

  it('fails to type-check a misuse (the check is not vacuous)', async () => {
    await writeFile(
      path.join(dir, 'src/bad.ts'),
      `import { createPool } from 'wspool';\nexport const p: Promise<string> = createPool({ url: 'ws://x' });\n`,
    );
    await writeFile(
      path.join(dir, 'tsconfig.bad.json'),
      JSON.stringify({
        // The libraries are checked by the other runs; this one only needs the misuse in bad.ts.
        compilerOptions: { ...compilerOptions, ...MODES.node16.options, skipLibCheck: true },
        files: ['src/bad.ts'],
      }),
    );
    await expect(tsc(dir, 'tsconfig.bad.json')).rejects.toThrow(/TS2322/);
  }, 240_000);
});
