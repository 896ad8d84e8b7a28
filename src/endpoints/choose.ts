/**
 * Which endpoint takes the next connection (or, in a multiplexed pool, the next request): pure
 * functions over a snapshot, unit-tested on numbers alone. The {@link EndpointSet} builds the
 * snapshot; nothing here reads a clock or touches a socket.
 * @module
 */

/** What the choice looks at on one endpoint. */
export interface Candidate {
  /** Share relative to the others (default 1). */
  readonly weight: number;
  /** Open and opening connections (exclusive pools), or requests in flight (multiplexed pools). */
  readonly load: number;
  /** Peak EWMA of its round trips in ms; `undefined` until measured. */
  readonly latencyMs: number | undefined;
  /** May take new work: not ejected and not waiting out a dial backoff. */
  readonly usable: boolean;
  /** `'ready'` or `'connecting'` (what `'priority'` calls healthy). */
  readonly healthy: boolean;
  /** Epoch ms since which it has been healthy (`Infinity` if it is not). */
  readonly healthySince: number;
}

/**
 * `'least-loaded'`: the index with the lowest `(load + 1) × latency ÷ weight` among usable
 * endpoints not in `tried`; when none is usable, among all not tried (every endpoint ejected: use
 * all rather than none). An endpoint not measured yet counts as fast as the fastest measured one,
 * so a new or re-admitted endpoint is tried at once instead of starved. Ties go to the earlier
 * endpoint. `-1` when every endpoint was tried.
 */
export function leastLoaded(candidates: readonly Candidate[], tried?: ReadonlySet<number>): number {
  const best = lowestCost(candidates, tried, true);
  return best === -1 ? lowestCost(candidates, tried, false) : best;
}

function lowestCost(
  candidates: readonly Candidate[],
  tried: ReadonlySet<number> | undefined,
  usableOnly: boolean,
): number {
  // Unmeasured endpoints borrow the fastest measured latency; with none measured, latency is a
  // common factor and any positive value ranks the same.
  let fastest = Infinity;
  for (const c of candidates) if (c.latencyMs !== undefined && c.latencyMs < fastest) fastest = c.latencyMs;
  if (fastest === Infinity) fastest = 1;
  // A measured 0 ms (a loopback server) would make every load look equal: floor it.
  const floor = Math.max(fastest, 1e-3);
  let best = -1;
  let bestCost = Infinity;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i] as Candidate;
    if ((usableOnly && !c.usable) || tried?.has(i) === true) continue;
    const cost = ((c.load + 1) * Math.max(c.latencyMs ?? floor, 1e-3)) / c.weight;
    if (cost < bestCost) {
      best = i;
      bestCost = cost;
    }
  }
  return best;
}

/**
 * `'priority'`: the endpoint that takes everything. It stays `current` while that one is healthy,
 * unless an earlier endpoint has been healthy for at least `failbackAfter` (fail back). Otherwise
 * it is the first healthy endpoint in list order; with none healthy, the first usable one (failing
 * but not ejected); with none usable, the first (every endpoint ejected: use all).
 */
export function priorityTarget(
  candidates: readonly Candidate[],
  current: number,
  at: number,
  failbackAfter: number,
): number {
  const held = candidates[current];
  if (held !== undefined && held.healthy) {
    for (let i = 0; i < current; i++) {
      const c = candidates[i] as Candidate;
      if (c.healthy && at - c.healthySince >= failbackAfter) return i;
    }
    return current;
  }
  return firstInOrder(candidates, undefined);
}

/**
 * `'priority'` with retries: `target` first, then the rest in list order (healthy first, then
 * usable, then any), skipping `tried`. `-1` when every endpoint was tried.
 */
export function nextInPriority(
  candidates: readonly Candidate[],
  target: number,
  tried: ReadonlySet<number>,
): number {
  if (target >= 0 && target < candidates.length && !tried.has(target)) return target;
  return firstInOrder(candidates, tried);
}

function firstInOrder(candidates: readonly Candidate[], tried: ReadonlySet<number> | undefined): number {
  let usable = -1;
  let any = -1;
  for (let i = 0; i < candidates.length; i++) {
    if (tried?.has(i) === true) continue;
    const c = candidates[i] as Candidate;
    if (c.healthy && c.usable) return i;
    if (usable === -1 && c.usable) usable = i;
    if (any === -1) any = i;
  }
  return usable !== -1 ? usable : any;
}
