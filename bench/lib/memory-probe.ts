/**
 * Child process for the memory test (suite 4): measures what one idle connection costs a
 * contender, in a fresh process so nothing else the run allocated is on the scale.
 *
 * argv: `<contender module path> <ws url> <count>`. Answers over IPC with
 * `{ type: 'memory', bytesPerConn, fillMs }` or `{ type: 'error', reason }`, then exits.
 *
 * Bytes are `heapUsed + external` (JS objects plus Buffers) after a full GC, with the N
 * connections open and idle, minus the same before they were opened. A small set is opened and
 * closed first so that code, JIT output and lazily created singletons are not counted.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { connectionSetOpener } from './connection-set.js';
import { loadContender } from './discover.js';
import { sendToParent } from './fork-ts.js';
import { settledBytes } from './gc.js';
import { reasonOf } from './stats.js';

/** Bytes per connection, and how long opening all `count` took (ms). */
async function probe(
  file: string,
  url: string,
  count: number,
): Promise<{ bytesPerConn: number; fillMs: number }> {
  const open = connectionSetOpener(await loadContender(file));
  if (open === undefined) throw new Error('the contender can neither pool nor open connections');
  await (await open(url, 8)).close();
  const before = await settledBytes();
  const start = performance.now();
  const set = await open(url, count);
  const fillMs = performance.now() - start;
  await sleep(100);
  const after = await settledBytes();
  await set.close();
  return { bytesPerConn: (after - before) / count, fillMs };
}

const [file, url, countText] = process.argv.slice(2);
try {
  if (file === undefined || url === undefined || countText === undefined) {
    throw new Error('usage: memory-probe <contender module> <ws url> <count>');
  }
  await sendToParent({ type: 'memory', ...(await probe(file, url, Number(countText))) });
} catch (error) {
  await sendToParent({ type: 'error', reason: reasonOf(error) });
}
process.exit(0);
