/**
 * wspool's exclusive `Pool`, with its defaults (shared/API.md §2).
 *
 * A `Pool` already is an `ExclusivePool` and a `PooledConnection` a `Lease`: nothing is wrapped.
 * `createPool` resolves once `minConns` are open, which is what the fill benchmark times.
 * Until `createPool` is exported from src/index.ts this module fails to import and the runner
 * prints it as skipped.
 */
import { createPool } from '../../src/index.js';
import type { Contender } from '../lib/contender.js';

const contender: Contender = {
  name: 'wspool Pool',

  exclusivePool: ({ url, minConns, maxConns, connectTimeout }) =>
    createPool({ url, minConns, maxConns, ...(connectTimeout === undefined ? {} : { connectTimeout }) }),
};

export default contender;
