/**
 * A full garbage collection on demand, without asking the user to pass `--expose-gc`.
 *
 * Collecting between measured rounds keeps one contender's garbage from being collected on the
 * next one's clock; the memory probe needs it to read a settled heap.
 *
 * @module
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;

function resolveGc(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  // The flag only affects contexts created after it is set: a fresh context then has `gc`.
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Runs a full, synchronous garbage collection. */
export function collectGarbage(): void {
  collect ??= resolveGc();
  collect();
}

/**
 * `heapUsed + external` (JS objects plus Buffers) after a few full collections, a little apart:
 * the figure memory probes compare before and after opening what they measure.
 */
export async function settledBytes(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    collectGarbage();
  }
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}
