// `@opentelemetry/api` is an optional peer dependency: importing `wspool` (and even `wspool/otel`,
// which only imports its types) must work in a process where the package cannot be resolved.
// The packed tarball is checked the same way, without the package installed, in
// test/packaging/consumer.test.ts.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const blocker = fileURLToPath(new URL('./fixtures/block-opentelemetry.mjs', import.meta.url));

const script = `
  import { createRequire } from 'node:module';
  const require = createRequire(import.meta.url);
  const out = {};
  try { await import('@opentelemetry/api'); out.esmBlocked = false; } catch { out.esmBlocked = true; }
  try { require('@opentelemetry/api'); out.cjsBlocked = false; } catch { out.cjsBlocked = true; }
  const main = await import('./src/index.ts');
  out.main = [typeof main.createPool, typeof main.Pool, typeof main.connect, typeof main.CHANNELS];
  const otel = await import('./src/otel/index.ts');
  out.otel = typeof otel.instrumentPool;
  console.log(JSON.stringify(out));
`;

describe('without @opentelemetry/api', () => {
  it('wspool and wspool/otel import in a process where it cannot be resolved', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', '--import', blocker, '--input-type=module', '--eval', script],
      { cwd: root, timeout: 30_000 },
    );
    const out = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    // The control: the package really is unresolvable in the child.
    expect(out.esmBlocked).toBe(true);
    expect(out.cjsBlocked).toBe(true);
    expect(out.main).toEqual(['function', 'function', 'function', 'object']);
    expect(out.otel).toBe('function');
  });
});
