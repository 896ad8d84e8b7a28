// Shared fixtures of the observability suite: a recorder subscribed to every wspool channel, the
// secret-bearing URL and the check that no secret reaches a payload, and a small JSON-RPC server
// for the multiplexed pools.
import diagnosticsChannel from 'node:diagnostics_channel';
import { expect } from 'vitest';
import WebSocket from 'ws';
import { CHANNELS, MultiplexPool, Pool } from '../../src/index.js';
import { startScriptedServer, type TestWsServer } from '../helpers/index.js';

/** One of the channel names of {@link CHANNELS}. */
export type ChannelName = (typeof CHANNELS)[keyof typeof CHANNELS];

/** Every message published on every wspool channel while subscribed, in order. */
export interface ChannelRecorder {
  /** `[channel, message]` in publication order. */
  readonly log: [ChannelName, unknown][];
  /** The messages of one channel, typed by the caller. */
  of<T>(name: ChannelName): T[];
  clear(): void;
  dispose(): void;
}

export function recordChannels(): ChannelRecorder {
  const log: [ChannelName, unknown][] = [];
  const handlers = Object.values(CHANNELS).map((name) => {
    const handler = (message: unknown): void => {
      log.push([name, message]);
    };
    diagnosticsChannel.subscribe(name, handler);
    return [name, handler] as const;
  });
  return {
    log,
    of: <T>(name: ChannelName) => log.filter(([n]) => n === name).map(([, m]) => m as T),
    clear: () => {
      log.length = 0;
    },
    dispose: () => {
      for (const [name, handler] of handlers) diagnosticsChannel.unsubscribe(name, handler);
    },
  };
}

export const SECRETS = ['obs-user', 'hunter2', 'TOPSECRET', 'also-secret'] as const;

/** `base` with a username, a password and two query values that must never be published. */
export function secretUrl(base: string): string {
  const url = new URL(base);
  return `${url.protocol}//obs-user:hunter2@${url.host}/feed?token=TOPSECRET&sig=also-secret`;
}

/**
 * Serialises a payload the way a log shipper would (errors with message, code, stack and cause;
 * the `pool` object by its `url`) and asserts no secret appears anywhere in it.
 */
export function expectNoSecrets(payload: unknown): void {
  const seen = new Set<unknown>();
  const text = JSON.stringify(payload, (_key, value: unknown) => {
    if (typeof value === 'object' && value !== null) {
      if (seen.has(value)) return '[seen]';
      seen.add(value);
    }
    if (value instanceof Error) {
      return { ...value, message: value.message, stack: value.stack, cause: value.cause };
    }
    if (value instanceof Pool || value instanceof MultiplexPool) return { pool: value.url };
    return value;
  });
  for (const secret of SECRETS) expect(text).not.toContain(secret);
}

/** The keys of a payload, sorted: payload shapes are asserted exactly. */
export function keysOf(message: unknown): string[] {
  return Object.keys(message as object).sort();
}

// ---- the multiplexed pools ------------------------------------------------------------------

/**
 * A JSON-RPC 2.0 server: `echo` returns its params, `fail` answers error -32000, `hang` never
 * answers (for request timeouts).
 */
export async function startJsonRpcServer(): Promise<TestWsServer> {
  return startScriptedServer((ws) => {
    ws.on('message', (data: Buffer) => {
      const req = JSON.parse(data.toString()) as { id?: number; method: string; params?: unknown };
      if (req.id === undefined || req.method === 'hang' || ws.readyState !== WebSocket.OPEN) return;
      const reply =
        req.method === 'fail'
          ? { jsonrpc: '2.0', id: req.id, error: { code: -32000, message: 'failed on purpose' } }
          : { jsonrpc: '2.0', id: req.id, result: req.params ?? null };
      ws.send(JSON.stringify(reply));
    });
  });
}
