/**
 * wspool's exclusive `Pool`, with its defaults.
 *
 * A `Pool` already is an `ExclusivePool` and a `PooledConnection` a `Lease`: nothing is wrapped.
 * `createPool` resolves once `minConns` are open, which is what the fill benchmark times.
 */
import { createPool } from '../lib/wspool.js';
import type { Contender } from '../lib/contender.js';

const contender: Contender = {
  name: 'wspool Pool',

  exclusivePool: ({ url, minConns, maxConns, connectTimeout }) =>
    createPool({ url, minConns, maxConns, ...(connectTimeout === undefined ? {} : { connectTimeout }) }),
};

export default contender;
