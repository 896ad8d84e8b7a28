/**
 * The dial path of pools with `endpoints`, shared by the exclusive and the multiplexed pool so
 * placement and health live in one place: choose an endpoint, dial it (through
 * {@link openPooledConnection}, hooks and all; `beforeConnect` sees the chosen endpoint's URL and
 * the dial is charged to that endpoint whatever the hook changes), and on failure go on to the
 * next endpoint until one answers or every one has failed. Also the probe that re-admits an
 * ejected endpoint, and the reports of ejections and re-admissions.
 * @module
 */
import { monotonic, now } from '../clock.js';
import type { Connection } from '../connection/connection.js';
import { kTerminate } from '../connection/internal.js';
import { channels } from '../diagnostics.js';
import type { Endpoint, EndpointHost, EndpointSet } from '../endpoints/endpoint-set.js';
import { WsPoolError } from '../errors.js';
import type { ResolvedPoolConfig } from './config.js';
import { reportBackground } from './on-error.js';
import { errorMessage, openPooledConnection, type OpenedConnection } from './open-connection.js';

/** A connection opened on one of the pool's endpoints; it counts in `endpoint.conns` until closed. */
export interface EndpointConnection extends OpenedConnection {
  readonly endpoint: Endpoint;
}

/** Options of {@link openOnEndpoints}, passed on to {@link openPooledConnection}. */
export interface EndpointDialOptions {
  /** Try this endpoint first (the balance wanted a connection there). */
  readonly first?: Endpoint | undefined;
  /** The acquire this dial runs for stopped waiting: its hooks stop, no further endpoint is tried. */
  readonly ownerGaveUp?: AbortSignal | undefined;
  /** Leave the greeting queued (multiplexed pools). */
  readonly keepGreeting?: boolean;
}

/**
 * Open one connection on the best endpoint (`first`, if given, is tried first), trying the next on
 * each failure. Each failure counts against its endpoint; the handshake time is a latency sample.
 * Rejects `WSPOOL_ERR_CONNECT_FAILED` with an `AggregateError` of every endpoint's error once all
 * failed, or with the abort's error when `closing` (the pool closing) or `ownerGaveUp` fires: an
 * abort is nobody's failure. Bounded: each attempt by `connectTimeout` and the hooks' bounds, and
 * there is one attempt per endpoint.
 */
export async function openOnEndpoints(
  set: EndpointSet,
  config: ResolvedPoolConfig,
  closing: AbortSignal,
  options: EndpointDialOptions = {},
): Promise<EndpointConnection> {
  const { first, ownerGaveUp, keepGreeting = false } = options;
  const tried = new Set<Endpoint>();
  const errors: unknown[] = [];
  for (
    let endpoint = first ?? set.pick('conns');
    endpoint !== undefined;
    endpoint = set.pick('conns', tried)
  ) {
    tried.add(endpoint);
    endpoint.conns++; // an opening connection is load: parallel dials spread out
    const started = monotonic();
    try {
      const opened = await openPooledConnection(config, closing, ownerGaveUp, keepGreeting, endpoint.url);
      set.succeeded(endpoint, monotonic() - started);
      return { conn: opened.conn, discarded: opened.discarded, endpoint };
    } catch (error) {
      endpoint.conns--;
      if (closing.aborted || ownerGaveUp?.aborted === true) throw error;
      set.failed(endpoint, error, true);
      errors.push(error);
    }
  }
  throw allEndpointsFailed(errors);
}

function allEndpointsFailed(errors: unknown[]): WsPoolError {
  const summary = errors.map(errorMessage).join(' | ');
  return new WsPoolError(
    'WSPOOL_ERR_CONNECT_FAILED',
    `Could not connect to any of the pool's ${errors.length} endpoints (${summary}). Check that at least one server is up and reachable; each endpoint's error is in cause.errors.`,
    { cause: new AggregateError(errors, 'every endpoint failed') },
  );
}

/**
 * The probe of an ejected (or failing) endpoint: one dial and one ping, then the connection is
 * closed. Resolves with the ping's round trip. Bounded by `connectTimeout` + `pingTimeout`
 * (+ `closeTimeout` for the close); `signal` (the pool closing) cuts it short.
 */
export async function probeEndpoint(
  config: ResolvedPoolConfig,
  endpoint: Endpoint,
  signal: AbortSignal,
): Promise<number> {
  endpoint.conns++;
  try {
    return await dialAndPing(config, endpoint, signal);
  } finally {
    endpoint.conns--;
  }
}

async function dialAndPing(
  config: ResolvedPoolConfig,
  endpoint: Endpoint,
  signal: AbortSignal,
): Promise<number> {
  const { conn } = await openPooledConnection(config, signal, undefined, false, endpoint.url);
  const cut = (): void => void conn[kTerminate]();
  signal.addEventListener('abort', cut);
  try {
    return await conn.ping({ timeout: config.pingTimeout });
  } finally {
    signal.removeEventListener('abort', cut);
    await closeProbe(conn);
  }
}

async function closeProbe(conn: Connection): Promise<void> {
  await conn.close(1000, 'probe').catch(() => conn[kTerminate]());
}

/**
 * The part of an {@link EndpointHost} both pools share: publishing `wspool:endpoint:eject` /
 * `:readmit` and reporting an ejection to `onError` (phase `'endpoint'`).
 */
export function endpointReports(
  pool: object,
  config: ResolvedPoolConfig,
): Pick<EndpointHost, 'ejected' | 'readmitted'> {
  return {
    ejected(endpoint, error) {
      const until = endpoint.health.ejectedUntil ?? 0;
      const ejections = endpoint.health.ejectionsAt(until);
      if (channels.endpointEject.hasSubscribers) {
        channels.endpointEject.publish({
          pool,
          url: endpoint.redacted,
          ejections,
          ejectedUntil: until,
          error,
        });
      }
      reportBackground(
        config.onError,
        ejectionError(endpoint, error, until),
        'endpoint',
        endpoint.url,
        endpoint.redacted,
      );
    },
    readmitted(endpoint) {
      if (channels.endpointReadmit.hasSubscribers) {
        channels.endpointReadmit.publish({
          pool,
          url: endpoint.redacted,
          latencyMs: endpoint.latency.value ?? 0,
        });
      }
    },
  };
}

function ejectionError(endpoint: Endpoint, error: unknown, until: number): WsPoolError {
  const code = error instanceof WsPoolError ? error.code : 'WSPOOL_ERR_CONNECT_FAILED';
  const seconds = Math.max(0, Math.round((until - now()) / 1000));
  return new WsPoolError(
    code,
    `Endpoint ${endpoint.redacted} was ejected after ${endpoint.health.consecutiveFailures} consecutive failures (last: ${errorMessage(error)}); the pool sends its work to the other endpoints and probes it again in about ${seconds} s.`,
    { cause: error },
  );
}
