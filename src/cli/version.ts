/**
 * `wspool --version`: the version of the installed package, read from its package.json.
 *
 * The CLI runs as dist/cli.js (installed or built) and as src/cli/main.ts (development), so the
 * file is found by walking up from the entry to the first package.json named `wspool`, rather than
 * by a fixed relative path or a build-time constant the source run would not have.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** How many folders above the entry's own to look (src/cli/ → repository root is two). */
const MAX_DEPTH = 3;

/** The package version, e.g. `0.1.0`; throws if no wspool package.json is found above `entry`. */
export function packageVersion(entry: string): string {
  let dir = dirname(entry);
  for (let depth = 0; depth <= MAX_DEPTH; depth++) {
    const manifest = readManifest(join(dir, 'package.json'));
    if (manifest?.name === 'wspool' && typeof manifest.version === 'string') return manifest.version;
    dir = dirname(dir);
  }
  throw new Error(`no wspool package.json found above ${entry}: the installation is incomplete`);
}

function readManifest(file: string): { name?: unknown; version?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
  } catch {
    return undefined; // missing or unreadable: keep walking up
  }
}
