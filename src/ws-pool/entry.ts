/**
 * The exclusive pool's record of one pooled socket: the value its `ResourcePool` slots hold.
 */
import type { Connection } from '../connection/connection.js';
import type { ResolvedPoolConfig } from './config.js';
import { connectionExpiry } from './policy.js';
import type { DestroyReason } from '../diagnostics.js';
import type { Endpoint } from '../endpoints/endpoint-set.js';
import type { Resource } from '../pool/resource.js';
import type { PooledConnection } from './pooled-connection.js';

/** One pooled socket: the connection plus what the pool decided about it at creation. */
export interface PoolEntry {
  readonly conn: Connection;
  /**
   * Epoch ms after which the connection is retired (lifetime + its jitter). Set to `-Infinity`
   * when its endpoint is ejected (or no longer the `'priority'` target): the release path's
   * lifetime check then closes it, at no cost to pools without endpoints.
   */
  expiresAt: number;
  /** The endpoint it was dialled to (pools with `endpoints` only). */
  endpoint: Endpoint | undefined;
  /** Its endpoint was ejected or left: it closes on release instead of returning to the pool. */
  leaving: boolean;
  /** The pool began destroying it: its socket's close is expected, not a failure of the endpoint. */
  disposing: boolean;
  /** Never handed out yet (skip the acquire ping: the handshake just proved it alive). */
  fresh: boolean;
  /** Epoch ms of the last successful ping, or 0. */
  lastPingAt: number;
  /** The core's resource for this entry, known from its first checkout on. */
  resource: Resource<PoolEntry> | null;
  /** The handle currently lent out, if any. */
  handle: PooledConnection | null;
  /** Why it is being destroyed (for diagnostics); set just before destroy(). */
  destroyReason: DestroyReason;
  /** Close reason sent to the server (from `destroy(reason)`). */
  closeReason: string;
  /** Where it was acquired (trackLeaks), and when. */
  acquiredStack: string | undefined;
  acquiredAt: number;
}

/** Destroy a pooled entry's resource, recording `reason` for diagnostics. */
export function destroyEntry(resource: Resource<PoolEntry>, reason: DestroyReason): void {
  resource.value.destroyReason = reason;
  resource.destroy();
}

/** The entry of a connection just opened for the pool; its lifetime (with jitter) is fixed here. */
export function newPoolEntry(conn: Connection, config: ResolvedPoolConfig): PoolEntry {
  return {
    conn,
    expiresAt: connectionExpiry(
      conn.createdAt,
      config.maxConnLifetime,
      config.maxConnLifetimeJitter,
      Math.random(),
    ),
    endpoint: undefined,
    leaving: false,
    disposing: false,
    fresh: true,
    lastPingAt: 0,
    resource: null,
    handle: null,
    destroyReason: 'closed',
    closeReason: '',
    acquiredStack: undefined,
    acquiredAt: 0,
  };
}
