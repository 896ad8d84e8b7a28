/**
 * OpenTelemetry metrics for a pool: observable instruments read from `stat()` at each collection,
 * histograms and the destroy counter fed from the pool's `diagnostics_channel` messages.
 *
 * Only *types* come from `@opentelemetry/api`: the caller hands in a `Meter`, and this module calls
 * its methods. So `wspool/otel` loads without the API package installed, and `wspool` itself never
 * references it (it is an optional peer dependency).
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type {
  Attributes,
  BatchObservableCallback,
  BatchObservableResult,
  Counter,
  Histogram,
  Meter,
  Observable,
} from '@opentelemetry/api';
import {
  CHANNELS,
  type PoolAcquireMessage,
  type PoolDestroyMessage,
  type PoolReleaseMessage,
  type RequestEndMessage,
} from '../diagnostics.js';
import { invalidConfig } from '../errors.js';

/**
 * The part of a pool's `stat()` snapshot {@link instrumentPool} reads. `Pool` and `MultiplexPool`
 * both fit; a field a pool does not report is simply not observed (a `Pool` has no `inFlight`).
 */
export interface InstrumentableStat {
  /** Gauge: connections holding a slot (idle + used + constructing). */
  readonly totalConns?: number;
  /** Gauge: open connections ready to lend (exclusive pools). */
  readonly idleConns?: number;
  /** Gauge: connections lent out (exclusive pools). */
  readonly acquiredConns?: number;
  /** Gauge: dials in progress. */
  readonly constructingConns?: number;
  /** Gauge: acquires queued for a connection. */
  readonly pendingAcquires?: number;
  /** The configured `maxConns`. */
  readonly maxConns?: number;
  /** Counter: successful acquires. */
  readonly acquireCount?: number;
  /** Counter: acquires that gave up (abort or timeout). */
  readonly canceledAcquireCount?: number;
  /** Counter: connections opened. */
  readonly newConnsCount?: number;
  /** Counter: dials that failed. */
  readonly failedConnectCount?: number;
  /** Counter: messages dropped because nobody held the connection. */
  readonly discardedMessages?: number;
  /** Gauge: multiplexed requests sent and not answered yet. */
  readonly inFlight?: number;
  /** Gauge: multiplexed requests waiting for a connection. */
  readonly queuedRequests?: number;
  /** Counter: multiplexed requests sent. */
  readonly requestCount?: number;
  /** Counter: multiplexed requests that timed out. */
  readonly timedOutRequests?: number;
  /** Counter: replies that arrived after their request timed out (dropped). */
  readonly lateReplies?: number;
  /** Counter: frames that were not replies, dropped for want of an `onMessage` handler. */
  readonly unmatchedMessages?: number;
  /** Counter: frames the codec could not decode (dropped). */
  readonly protocolErrors?: number;
  /** Per endpoint (pools with `endpoints`). */
  readonly endpoints?: readonly InstrumentableEndpointStat[];
}

/** The part of one `stat().endpoints` entry {@link instrumentPool} reads. */
export interface InstrumentableEndpointStat {
  /** The redacted URL: the `endpoint` attribute. */
  readonly url: string;
  /** `'ejected'` sets `wspool.endpoint.ejected` to 1. */
  readonly state: string;
  /** `wspool.endpoint.connections`. */
  readonly openConns: number;
  /** `wspool.endpoint.requests.in_flight`. */
  readonly inFlight: number;
  /** `wspool.endpoint.latency` (not observed while `undefined`). */
  readonly latencyMs: number | undefined;
  /** `wspool.endpoint.failures`. */
  readonly failures: number;
  /** `wspool.endpoint.ejections`. */
  readonly ejections: number;
}

/** Anything with a `stat()` snapshot: a `Pool`, a `MultiplexPool`, a `JsonRpcPool`. */
export interface InstrumentablePool {
  /** A snapshot of the pool's gauges and counters; called once per metric collection. */
  stat(): InstrumentableStat;
}

/** Options of {@link instrumentPool}. */
export interface InstrumentPoolOptions {
  /**
   * Attributes added to every measurement, e.g. `{ 'pool.name': 'orders' }` to tell several pools
   * apart on one meter.
   * @default {}
   */
  attributes?: Attributes;
  /**
   * Subscribe to the pool's `diagnostics_channel` messages for the histograms
   * (`wspool.acquire.wait_time`, `wspool.connections.use_time`, `wspool.request.duration`) and the
   * `wspool.connections.destroyed` counter. `false` keeps only the instruments read from `stat()`,
   * and the pool publishes nothing on the hot path.
   * @default true
   */
  channels?: boolean;
  /**
   * Bucket boundaries, in ms, advised for the duration histograms (a view configured on the
   * `MeterProvider` still wins).
   * @default [0, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]
   */
  durationBuckets?: number[];
}

/** What {@link instrumentPool} returns: call `unregister()` (or `using`) to stop observing the pool. */
export interface PoolInstrumentation extends Disposable {
  /**
   * Remove the observable callbacks and the channel subscriptions. Idempotent. The instruments
   * themselves stay on the meter (the OpenTelemetry API cannot delete them) but record nothing more.
   */
  unregister(): void;
}

const DEFAULT_BUCKETS = [0, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

/** An observable instrument and how to read its value(s) from a snapshot. */
interface Reading {
  readonly instrument: Observable;
  readonly observe: (result: BatchObservableResult, stat: InstrumentableStat) => void;
}

/** Counters read from `stat()`: metric name, stat field, description, unit. */
const STAT_COUNTERS = [
  ['wspool.acquires', 'acquireCount', 'Successful acquires.', '{acquire}'],
  [
    'wspool.acquire.canceled',
    'canceledAcquireCount',
    'Acquires that gave up (abort or timeout).',
    '{acquire}',
  ],
  ['wspool.connections.created', 'newConnsCount', 'Connections opened.', '{connection}'],
  ['wspool.connections.failed', 'failedConnectCount', 'Dials that failed.', '{connection}'],
  [
    'wspool.messages.discarded',
    'discardedMessages',
    'Messages dropped because nobody held the connection.',
    '{message}',
  ],
  ['wspool.requests', 'requestCount', 'Multiplexed requests sent.', '{request}'],
  ['wspool.requests.timed_out', 'timedOutRequests', 'Multiplexed requests that timed out.', '{request}'],
  [
    'wspool.requests.late_replies',
    'lateReplies',
    'Replies that arrived after their request timed out.',
    '{reply}',
  ],
  [
    'wspool.messages.unmatched',
    'unmatchedMessages',
    'Frames that were not replies, dropped for want of an onMessage handler.',
    '{message}',
  ],
  ['wspool.messages.invalid', 'protocolErrors', 'Frames the codec could not decode, dropped.', '{message}'],
] as const satisfies readonly (readonly [string, keyof InstrumentableStat, string, string])[];

/** Up-down counters (gauges) read from `stat()`, beside `wspool.connections.usage`. */
const STAT_GAUGES = [
  ['wspool.connections.max', 'maxConns', 'The configured maxConns.', '{connection}'],
  ['wspool.acquire.pending', 'pendingAcquires', 'Acquires queued for a connection.', '{acquire}'],
  ['wspool.requests.in_flight', 'inFlight', 'Multiplexed requests sent and not answered yet.', '{request}'],
  ['wspool.requests.queued', 'queuedRequests', 'Multiplexed requests waiting for a connection.', '{request}'],
] as const satisfies readonly (readonly [string, keyof InstrumentableStat, string, string])[];

/**
 * Register OpenTelemetry metrics for `pool` on `meter`, following the semantic-convention style of
 * connection pools (`db.client.connections.*`).
 *
 * Read from `stat()` at each collection (one snapshot per collection), for the fields the pool reports:
 *
 * | metric | instrument | attributes |
 * |---|---|---|
 * | `wspool.connections.usage` | observable up-down counter | `state` = `idle` \| `used` \| `constructing` |
 * | `wspool.connections.max` | observable up-down counter | |
 * | `wspool.acquire.pending` | observable up-down counter | |
 * | `wspool.requests.in_flight`, `wspool.requests.queued` | observable up-down counter | (multiplexed pools) |
 * | `wspool.acquires`, `wspool.acquire.canceled` | observable counter | |
 * | `wspool.connections.created`, `wspool.connections.failed` | observable counter | |
 * | `wspool.messages.discarded` | observable counter | |
 * | `wspool.requests`, `wspool.requests.timed_out`, `wspool.requests.late_replies` | observable counter | (multiplexed pools) |
 * | `wspool.messages.unmatched`, `wspool.messages.invalid` | observable counter | (multiplexed pools) |
 * | `wspool.endpoint.connections`, `wspool.endpoint.requests.in_flight`, `wspool.endpoint.ejections`, `wspool.endpoint.ejected` | observable up-down counter | `endpoint` (pools with `endpoints`) |
 * | `wspool.endpoint.latency` (ms) | observable gauge | `endpoint` |
 * | `wspool.endpoint.failures` | observable counter | `endpoint` |
 *
 * A multiplexed pool shares its connections instead of lending them, so it has no idle ones: its
 * open connections count as `used`.
 *
 * Fed from the pool's `diagnostics_channel` messages (unless `channels: false`), from the call on:
 *
 * | metric | instrument | attributes |
 * |---|---|---|
 * | `wspool.acquire.wait_time` (ms) | histogram | |
 * | `wspool.connections.use_time` (ms) | histogram | |
 * | `wspool.request.duration` (ms) | histogram | `error.type` (the error `code`) when it failed |
 * | `wspool.connections.destroyed` | counter | `reason` = `idle` \| `lifetime` \| `ping` \| `hook` \| `closed` \| `released` \| `error` |
 *
 * @param pool - a `Pool`, `MultiplexPool` or `JsonRpcPool` (anything with `stat()`).
 * @param meter - from `metrics.getMeter('wspool')` or your `MeterProvider`.
 * @returns a handle whose `unregister()` (or `[Symbol.dispose]`) stops the observation.
 * @throws {WsPoolError} `WSPOOL_ERR_INVALID_CONFIG` if `pool` has no `stat()` or `meter` is not a Meter.
 *
 * @example
 * ```ts
 * import { metrics } from '@opentelemetry/api';
 * import { createPool } from 'wspool';
 * import { instrumentPool } from 'wspool/otel';
 *
 * const pool = await createPool({ url: 'wss://api.example.com/ws', maxConns: 10 });
 * const instrumentation = instrumentPool(pool, metrics.getMeter('my-service'), {
 *   attributes: { 'pool.name': 'api' },
 * });
 * // ... on shutdown:
 * instrumentation.unregister();
 * await pool.close();
 * ```
 */
export function instrumentPool(
  pool: InstrumentablePool,
  meter: Meter,
  options: InstrumentPoolOptions = {},
): PoolInstrumentation {
  if (typeof (pool as Partial<InstrumentablePool> | null)?.stat !== 'function') {
    throw invalidConfig('pool', 'a Pool, MultiplexPool or JsonRpcPool (an object with stat())', pool);
  }
  if (typeof (meter as Partial<Meter> | null)?.addBatchObservableCallback !== 'function') {
    throw invalidConfig('meter', 'an OpenTelemetry Meter', meter);
  }
  const base: Attributes = { ...options.attributes };
  const buckets = options.durationBuckets ?? DEFAULT_BUCKETS;
  const first = pool.stat();
  const readings: Reading[] = [];

  if (typeof first.totalConns === 'number') {
    readings.push(usageReading(meter, base, first));
  }
  if (first.endpoints !== undefined) readings.push(...endpointReadings(meter, base, first.endpoints));
  for (const [name, field, description, unit] of STAT_GAUGES) {
    if (typeof first[field] !== 'number') continue;
    const instrument = meter.createObservableUpDownCounter(name, { description, unit });
    readings.push({ instrument, observe: observeField(instrument, field, base) });
  }
  for (const [name, field, description, unit] of STAT_COUNTERS) {
    if (typeof first[field] !== 'number') continue;
    const instrument = meter.createObservableCounter(name, { description, unit });
    readings.push({ instrument, observe: observeField(instrument, field, base) });
  }

  const instruments = readings.map((r) => r.instrument);
  const callback: BatchObservableCallback = (result) => {
    const stat = pool.stat();
    for (const reading of readings) reading.observe(result, stat);
  };
  meter.addBatchObservableCallback(callback, instruments);

  const unsubscribe = options.channels === false ? noop : subscribe(pool, meter, base, buckets);
  let registered = true;
  const unregister = (): void => {
    if (!registered) return;
    registered = false;
    meter.removeBatchObservableCallback(callback, instruments);
    unsubscribe();
  };
  return { unregister, [Symbol.dispose]: unregister };
}

/** `wspool.connections.usage{state}`: exclusive pools split open connections into idle and used. */
function usageReading(meter: Meter, base: Attributes, first: InstrumentableStat): Reading {
  const instrument = meter.createObservableUpDownCounter('wspool.connections.usage', {
    description: 'Connections counted toward maxConns, by state.',
    unit: '{connection}',
  });
  const idle = { ...base, state: 'idle' };
  const used = { ...base, state: 'used' };
  const constructing = { ...base, state: 'constructing' };
  const exclusive = typeof first.idleConns === 'number' && typeof first.acquiredConns === 'number';
  return {
    instrument,
    observe(result, s) {
      const building = s.constructingConns ?? 0;
      if (exclusive) {
        result.observe(instrument, s.idleConns ?? 0, idle);
        result.observe(instrument, s.acquiredConns ?? 0, used);
      } else {
        result.observe(instrument, (s.totalConns ?? 0) - building, used);
      }
      result.observe(instrument, building, constructing);
    },
  };
}

/** Per-endpoint instruments (number, field, description, unit, kind); the attribute is `endpoint`. */
const ENDPOINT_METRICS = [
  [
    'wspool.endpoint.connections',
    'openConns',
    'Open and opening connections per endpoint.',
    '{connection}',
    'updown',
  ],
  [
    'wspool.endpoint.requests.in_flight',
    'inFlight',
    'Requests in flight per endpoint.',
    '{request}',
    'updown',
  ],
  ['wspool.endpoint.latency', 'latencyMs', 'Peak-sensitive moving average of round trips.', 'ms', 'gauge'],
  ['wspool.endpoint.failures', 'failures', 'Failures counted against the endpoint.', '{failure}', 'counter'],
  [
    'wspool.endpoint.ejections',
    'ejections',
    'Ejection count (decays while healthy).',
    '{ejection}',
    'updown',
  ],
] as const satisfies readonly (readonly [
  string,
  keyof InstrumentableEndpointStat,
  string,
  string,
  'updown' | 'gauge' | 'counter',
])[];

/**
 * `wspool.endpoint.*`: one series per endpoint (attribute `endpoint` = its redacted URL), plus
 * `wspool.endpoint.ejected` (1 while ejected, else 0).
 */
function endpointReadings(
  meter: Meter,
  base: Attributes,
  first: readonly InstrumentableEndpointStat[],
): Reading[] {
  // Attributes built once per endpoint: the list and its order are fixed for the pool's life.
  const attributes = first.map((e) => ({ ...base, endpoint: e.url }));
  const readings: Reading[] = [];
  const make = (name: string, description: string, unit: string, kind: 'updown' | 'gauge' | 'counter') =>
    kind === 'gauge'
      ? meter.createObservableGauge(name, { description, unit })
      : kind === 'counter'
        ? meter.createObservableCounter(name, { description, unit })
        : meter.createObservableUpDownCounter(name, { description, unit });
  for (const [name, field, description, unit, kind] of ENDPOINT_METRICS) {
    const instrument = make(name, description, unit, kind);
    readings.push({
      instrument,
      observe(result, stat) {
        stat.endpoints?.forEach((e, i) => {
          const value = e[field];
          if (typeof value === 'number') result.observe(instrument, value, attributes[i]);
        });
      },
    });
  }
  const ejected = make(
    'wspool.endpoint.ejected',
    '1 while the endpoint is ejected, else 0.',
    '{endpoint}',
    'updown',
  );
  readings.push({
    instrument: ejected,
    observe(result, stat) {
      stat.endpoints?.forEach((e, i) =>
        result.observe(ejected, e.state === 'ejected' ? 1 : 0, attributes[i]),
      );
    },
  });
  return readings;
}

function observeField(
  instrument: Observable,
  field: keyof InstrumentableStat,
  attributes: Attributes,
): Reading['observe'] {
  return (result, stat) => {
    const value = stat[field];
    if (typeof value === 'number') result.observe(instrument, value, attributes);
  };
}

/**
 * Subscribe to the channels, keeping only this pool's messages (every pool publishes on the same
 * channels; `message.pool` says which). Returns the unsubscribe function.
 */
function subscribe(pool: object, meter: Meter, base: Attributes, buckets: number[]): () => void {
  const advice = { explicitBucketBoundaries: buckets };
  const waitTime: Histogram = meter.createHistogram('wspool.acquire.wait_time', {
    description: 'Time an acquire took, from the call to the hand-out.',
    unit: 'ms',
    advice,
  });
  const useTime: Histogram = meter.createHistogram('wspool.connections.use_time', {
    description: 'Time a connection was borrowed, from the hand-out to its release.',
    unit: 'ms',
    advice,
  });
  const requestDuration: Histogram = meter.createHistogram('wspool.request.duration', {
    description: 'Time a multiplexed request took, from the call to its reply, error or timeout.',
    unit: 'ms',
    advice,
  });
  const destroyed: Counter = meter.createCounter('wspool.connections.destroyed', {
    description: 'Connections the pool closed, by reason.',
    unit: '{connection}',
  });
  const byReason = new Map<string, Attributes>();

  const handlers: [string, (message: unknown) => void][] = [
    [
      CHANNELS.poolAcquire,
      (message) => {
        const m = message as PoolAcquireMessage;
        if (m.pool === pool) waitTime.record(m.waitMs, base);
      },
    ],
    [
      CHANNELS.poolRelease,
      (message) => {
        const m = message as PoolReleaseMessage;
        if (m.pool === pool) useTime.record(m.holdMs, base);
      },
    ],
    [
      CHANNELS.poolDestroy,
      (message) => {
        const m = message as PoolDestroyMessage;
        if (m.pool !== pool) return;
        let attributes = byReason.get(m.reason);
        if (!attributes) byReason.set(m.reason, (attributes = { ...base, reason: m.reason }));
        destroyed.add(1, attributes);
      },
    ],
    [
      CHANNELS.requestEnd,
      (message) => {
        const m = message as RequestEndMessage;
        if (m.pool !== pool) return;
        requestDuration.record(
          m.durationMs,
          m.error === undefined ? base : { ...base, 'error.type': errorType(m.error) },
        );
      },
    ],
  ];
  for (const [name, handler] of handlers) diagnosticsChannel.subscribe(name, handler);
  return () => {
    for (const [name, handler] of handlers) diagnosticsChannel.unsubscribe(name, handler);
  };
}

/** A low-cardinality name for an error: its `code` (`WSPOOL_ERR_*`) when it has one, else its class. */
function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : '_OTHER';
}

function noop(): void {}
