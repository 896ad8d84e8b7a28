/**
 * The packed tarball, as a user gets it: built once per test file into a staging folder (the
 * repo's dist/ is left alone), `npm pack`ed, and unpacked into temporary consumer projects whose
 * node_modules link to the repo's copies of ws, @types/node and @opentelemetry/api (no network).
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const exec = promisify(execFile);
export const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = (name: string): string => path.join(root, 'node_modules', '.bin', name);

export interface Packed {
  /** The temporary folder holding the tarball and the consumers; `dispose()` removes it. */
  readonly work: string;
  readonly tarball: string;
  /** Paths inside the tarball (`dist/index.js`, `README.md`, …), sorted. */
  readonly files: string[];
  /** The packed size in bytes, as `npm pack` reports it. */
  readonly size: number;
  /** Unpack the tarball as `<work>/<name>/node_modules/wspool`, link `links` beside it, write `files`. */
  consumer(name: string, links: string[], files: Record<string, string>): Promise<string>;
  dispose(): Promise<void>;
}

/** Build with tsup into a staging folder and `npm pack` it. Takes a few seconds. */
export async function pack(): Promise<Packed> {
  const work = await mkdtemp(path.join(tmpdir(), 'wspool-consumer-'));
  const stage = path.join(work, 'stage');
  await mkdir(stage);
  await exec(bin('tsup'), ['--silent', '--out-dir', path.join(stage, 'dist')], {
    cwd: root,
    timeout: 90_000,
  });
  for (const file of ['package.json', 'README.md', 'LICENSE']) {
    await cp(path.join(root, file), path.join(stage, file));
  }
  const { stdout } = await exec('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], {
    cwd: stage,
    timeout: 60_000,
  });
  const [packed] = JSON.parse(stdout) as { filename: string; size: number; files: { path: string }[] }[];
  const tarball = path.join(work, packed!.filename);
  return {
    work,
    tarball,
    size: packed!.size,
    files: packed!.files.map((f) => f.path).sort(),
    async consumer(name, links, files) {
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
    },
    dispose: () => rm(work, { recursive: true, force: true }),
  };
}

/** Run a script with node; its last stdout line is JSON. */
export async function runNode(cwd: string, file: string): Promise<Record<string, unknown>> {
  const { stdout } = await exec(process.execPath, [file], { cwd, timeout: 30_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

/** Type-check with the repo's tsc; resolves with its output, rejects (with the output) on errors. */
export async function tsc(cwd: string, project: string): Promise<string> {
  try {
    const { stdout } = await exec(
      process.execPath,
      [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', project],
      { cwd, timeout: 200_000 },
    );
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`tsc -p ${project} failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}
