/**
 * Finds the contenders: every `*.ts` module in `bench/contenders/` whose default export is a
 * {@link Contender}. A module that fails to import (wspool before its API lands, a missing
 * `bench/node_modules`) is reported as skipped, with the reason, and the run goes on without it.
 *
 * @module
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import type { Contender, LoadedContender } from './contender.js';
import type { Skip } from './results.js';
import { reasonOf } from './stats.js';

export const CONTENDERS_DIR = fileURLToPath(new URL('../contenders/', import.meta.url));

export interface Discovery {
  readonly loaded: readonly LoadedContender[];
  readonly skipped: readonly Skip[];
}

function isContender(value: unknown): value is Contender {
  return (
    typeof value === 'object' && value !== null && typeof (value as { name?: unknown }).name === 'string'
  );
}

/** wspool first (the subject), raw ws last (the limit), the alternatives in between. */
function rank(id: string): number {
  if (id.startsWith('wspool')) return 0;
  if (id.startsWith('raw')) return 2;
  return 1;
}

/** Imports one contender module; throws with a one-line reason when it cannot be used. */
export async function loadContender(file: string): Promise<Contender> {
  const module = (await import(pathToFileURL(file).href)) as { default?: unknown };
  if (!isContender(module.default)) throw new Error('its default export is not a Contender ({ name, ... })');
  return module.default;
}

/**
 * Every contender module in `dir`, or only the ids listed in `only` (`BENCH_CONTENDERS`, comma
 * separated), so an A/B run of two variants does not spend its time on the others.
 */
export async function discoverContenders(
  dir: string = CONTENDERS_DIR,
  only: readonly string[] | undefined = undefined,
): Promise<Discovery> {
  const ids = (await readdir(dir))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => file.slice(0, -'.ts'.length))
    .filter((id) => only === undefined || only.includes(id))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const loaded: LoadedContender[] = [];
  const skipped: Skip[] = [];
  for (const id of ids) {
    const file = join(dir, `${id}.ts`);
    try {
      loaded.push({ id, file, contender: await loadContender(file) });
    } catch (error) {
      skipped.push({ contender: id, name: id, reason: reasonOf(error) });
    }
  }
  return { loaded, skipped };
}
