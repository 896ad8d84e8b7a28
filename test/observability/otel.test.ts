// `wspool/otel` against the real OpenTelemetry SDK: a MeterProvider whose periodic reader exports
// to the SDK's in-memory exporter. Asserts metric names, instrument kinds, values and attributes,
// that histograms only see their own pool, and that unregister() stops everything.
import type { Attributes } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JsonRpcPool, WsPoolError, createPool, type Pool } from '../../src/index.js';
import { instrumentPool } from '../../src/otel/index.js';
import type { TestWsServer } from '../helpers/index.js';
import { PoolJar, startPeerServer, until, whoami, within, type PeerServer } from '../ws-pool/support.js';
import { startJsonRpcServer } from './support.js';

let server: PeerServer;
const jar = new PoolJar();
let exporter: InMemoryMetricExporter;
let reader: PeriodicExportingMetricReader;
let provider: MeterProvider;

beforeAll(async () => {
  server = await startPeerServer();
});
beforeEach(() => {
  exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // A long interval: every export in these tests is an explicit forceFlush().
  reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  provider = new MeterProvider({ readers: [reader] });
});
afterEach(async () => {
  await jar.closeAll();
  await provider.shutdown();
});
afterAll(() => server.close());

/** Collect now and return the exported metrics by name. */
async function collect(): Promise<Map<string, MetricData>> {
  exporter.reset();
  await reader.forceFlush();
  const out = new Map<string, MetricData>();
  for (const resourceMetrics of exporter.getMetrics()) {
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) out.set(metric.descriptor.name, metric);
    }
  }
  return out;
}

function metric(metrics: Map<string, MetricData>, name: string): MetricData {
  const found = metrics.get(name);
  if (!found) throw new Error(`metric ${name} not exported; got ${[...metrics.keys()].join(', ')}`);
  return found;
}

/** The value of the one data point of `name` whose attributes include `match`. */
function valueOf(metrics: Map<string, MetricData>, name: string, match: Attributes = {}): unknown {
  const points = (metric(metrics, name).dataPoints as DataPoint<unknown>[]).filter((p) =>
    Object.entries(match).every(([k, v]) => p.attributes[k] === v),
  );
  if (points.length !== 1) {
    throw new Error(`${points.length} data points of ${name} match ${JSON.stringify(match)}`);
  }
  return points[0]!.value;
}

const histogramCount = (metrics: Map<string, MetricData>, name: string, match: Attributes = {}): number =>
  (valueOf(metrics, name, match) as Histogram).count;

describe('instrumentPool(Pool)', () => {
  it('exports stat() gauges and counters, and histograms from the channels, with the given attributes', async () => {
    const pool = jar.add(await createPool({ url: server.url, minConns: 1, maxConns: 3 }));
    const attributes = { 'pool.name': 'orders' };
    instrumentPool(pool, provider.getMeter('wspool-test'), { attributes });

    const a = await pool.acquire();
    const b = await pool.acquire(); // a second connection is dialled
    await a.sendMessage('left unread');
    await until(() => a.pendingMessages === 1, 'the echo to arrive');
    a.release(); // its unread echo is discarded
    const c = await pool.acquire();
    c.destroy('retired');
    await until(() => pool.stat().totalConns === 1, 'the destroyed connection to leave');

    const metrics = await collect();
    const usage = metric(metrics, 'wspool.connections.usage');
    expect(usage.dataPointType).toBe(DataPointType.SUM);
    expect(usage.descriptor).toMatchObject({ unit: '{connection}' });
    expect(
      usage.dataPoints
        .map((p) => p.attributes)
        .sort((x, y) => String(x.state).localeCompare(String(y.state))),
    ).toEqual([
      { 'pool.name': 'orders', state: 'constructing' },
      { 'pool.name': 'orders', state: 'idle' },
      { 'pool.name': 'orders', state: 'used' },
    ]);
    expect(valueOf(metrics, 'wspool.connections.usage', { state: 'idle' })).toBe(0);
    expect(valueOf(metrics, 'wspool.connections.usage', { state: 'used' })).toBe(1);
    expect(valueOf(metrics, 'wspool.connections.usage', { state: 'constructing' })).toBe(0);
    expect(valueOf(metrics, 'wspool.connections.max')).toBe(3);
    expect(valueOf(metrics, 'wspool.acquire.pending')).toBe(0);
    expect(valueOf(metrics, 'wspool.acquires')).toBe(3);
    expect(valueOf(metrics, 'wspool.acquire.canceled')).toBe(0);
    expect(valueOf(metrics, 'wspool.connections.created')).toBe(2);
    expect(valueOf(metrics, 'wspool.connections.failed')).toBe(0);
    expect(valueOf(metrics, 'wspool.messages.discarded')).toBe(1);
    expect(valueOf(metrics, 'wspool.connections.destroyed', { reason: 'released' })).toBe(1);
    expect(metric(metrics, 'wspool.acquires').dataPointType).toBe(DataPointType.SUM);
    expect((metric(metrics, 'wspool.acquires') as { isMonotonic?: boolean }).isMonotonic).toBe(true);
    expect((usage as { isMonotonic?: boolean }).isMonotonic).toBe(false);

    const wait = metric(metrics, 'wspool.acquire.wait_time');
    expect(wait.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(wait.descriptor.unit).toBe('ms');
    expect(histogramCount(metrics, 'wspool.acquire.wait_time')).toBe(3);
    expect(histogramCount(metrics, 'wspool.connections.use_time')).toBe(1);
    // A Pool has no multiplexed requests: no request instruments at all.
    for (const name of ['wspool.requests', 'wspool.requests.in_flight', 'wspool.requests.timed_out']) {
      expect(metrics.has(name)).toBe(false);
    }
    for (const m of metrics.values()) {
      for (const point of m.dataPoints) expect(point.attributes['pool.name']).toBe('orders');
    }
    b.release();
  });

  it('counts failed dials and canceled acquires', async () => {
    const pool = jar.pool({ url: 'ws://127.0.0.1:1', maxConns: 1, connectTimeout: 1_000 });
    instrumentPool(pool, provider.getMeter('wspool-test'));
    await expect(pool.acquire()).rejects.toBeInstanceOf(WsPoolError);
    const metrics = await collect();
    expect(valueOf(metrics, 'wspool.connections.failed')).toBe(1);
    expect(valueOf(metrics, 'wspool.connections.created')).toBe(0);
    expect(valueOf(metrics, 'wspool.acquires')).toBe(0);
    expect(metrics.has('wspool.acquire.wait_time')).toBe(false); // nothing recorded yet

    const busy = jar.pool({ url: server.url, maxConns: 1 });
    instrumentPool(busy, provider.getMeter('wspool-test'), { attributes: { 'pool.name': 'busy' } });
    const held = await busy.acquire();
    await expect(busy.acquire({ timeout: 20 })).rejects.toMatchObject({ code: 'WSPOOL_ERR_ACQUIRE_TIMEOUT' });
    held.release();
    const after = await collect();
    expect(valueOf(after, 'wspool.acquire.canceled', { 'pool.name': 'busy' })).toBe(1);
  });

  it('keeps the histograms of two pools apart', async () => {
    const meter = provider.getMeter('wspool-test');
    const a = jar.pool({ url: server.url, maxConns: 1 });
    const b = jar.pool({ url: server.url, maxConns: 1 });
    instrumentPool(a, meter, { attributes: { 'pool.name': 'a' } });
    instrumentPool(b, meter, { attributes: { 'pool.name': 'b' } });
    for (let i = 0; i < 3; i++) await a.withConnection(async (conn) => void (await whoami(conn)));
    await b.withConnection(async (conn) => void (await whoami(conn)));
    const metrics = await collect();
    expect(histogramCount(metrics, 'wspool.acquire.wait_time', { 'pool.name': 'a' })).toBe(3);
    expect(histogramCount(metrics, 'wspool.acquire.wait_time', { 'pool.name': 'b' })).toBe(1);
    expect(valueOf(metrics, 'wspool.acquires', { 'pool.name': 'a' })).toBe(3);
    expect(valueOf(metrics, 'wspool.acquires', { 'pool.name': 'b' })).toBe(1);
  });

  it('unregister() (or `using`) stops the observation: values no longer move', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 2 });
    const meter = provider.getMeter('wspool-test');
    {
      using _instrumentation = instrumentPool(pool, meter);
      await pool.withConnection(async (conn) => void (await whoami(conn)));
      const before = await collect();
      expect(valueOf(before, 'wspool.acquires')).toBe(1);
      expect(histogramCount(before, 'wspool.acquire.wait_time')).toBe(1);
    }
    await pool.withConnection(async (conn) => void (await whoami(conn)));
    (await pool.acquire()).destroy();
    const after = await collect();
    // The SDK may repeat the last cumulative value of an observable whose callback is gone, but it
    // must not be the new one (3 acquires).
    if (after.has('wspool.acquires')) expect(valueOf(after, 'wspool.acquires')).toBe(1);
    expect(histogramCount(after, 'wspool.acquire.wait_time')).toBe(1);
    expect(after.has('wspool.connections.destroyed')).toBe(false);

    const again = instrumentPool(pool, meter);
    again.unregister();
    again.unregister(); // idempotent
  });

  it('channels: false registers only the stat() instruments', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    instrumentPool(pool, provider.getMeter('wspool-test'), { channels: false });
    await pool.withConnection(async (conn) => void (await whoami(conn)));
    const metrics = await collect();
    expect(valueOf(metrics, 'wspool.acquires')).toBe(1);
    expect(metrics.has('wspool.acquire.wait_time')).toBe(false);
  });

  it('rejects what is not a pool or not a meter with WSPOOL_ERR_INVALID_CONFIG', () => {
    const meter = provider.getMeter('wspool-test');
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    for (const call of [
      () => instrumentPool({} as Pool, meter),
      () => instrumentPool(null as unknown as Pool, meter),
      () => instrumentPool(pool, {} as typeof meter),
    ]) {
      expect(call).toThrow(WsPoolError);
      expect(call).toThrow(/Invalid option `(pool|meter)`/);
    }
  });
});

describe('instrumentPool(JsonRpcPool)', () => {
  let rpc: TestWsServer;
  beforeAll(async () => {
    rpc = await startJsonRpcServer();
  });
  afterAll(() => rpc.close());

  it('exports request counters, the in-flight gauge and the request duration histogram', async () => {
    const pool = new JsonRpcPool({ url: rpc.url, maxConns: 2, requestTimeout: 100 });
    try {
      instrumentPool(pool, provider.getMeter('wspool-test'), { attributes: { 'pool.name': 'rpc' } });
      await pool.call('echo', [1]);
      await pool.call('echo', [2]);
      await expect(pool.call('fail')).rejects.toMatchObject({ code: 'WSPOOL_ERR_REMOTE' });
      const hanging = pool.call('hang').catch((error: unknown) => error);
      await until(() => pool.stat().inFlight === 1, 'the hanging request to be in flight');
      const during = await collect();
      expect(valueOf(during, 'wspool.requests.in_flight')).toBe(1);
      expect(await within(hanging, 5_000, 'the request timeout')).toMatchObject({
        code: 'WSPOOL_ERR_REQUEST_TIMEOUT',
      });
      const metrics = await collect();
      expect(valueOf(metrics, 'wspool.requests')).toBe(4);
      expect(valueOf(metrics, 'wspool.requests.timed_out')).toBe(1);
      expect(valueOf(metrics, 'wspool.requests.in_flight')).toBe(0);
      // Shared connections are all `used`: a multiplexed pool has no idle ones, and no acquires.
      const states = metric(metrics, 'wspool.connections.usage').dataPoints.map((p) => p.attributes.state);
      expect(states.sort()).toEqual(['constructing', 'used']);
      expect(valueOf(metrics, 'wspool.connections.usage', { state: 'used' })).toBe(pool.stat().totalConns);
      expect(metrics.has('wspool.acquires')).toBe(false);
      expect(valueOf(metrics, 'wspool.messages.unmatched')).toBe(0);
      expect(valueOf(metrics, 'wspool.messages.invalid')).toBe(0);
      expect(valueOf(metrics, 'wspool.requests.late_replies')).toBe(0);
      const duration = metric(metrics, 'wspool.request.duration');
      expect(duration.dataPointType).toBe(DataPointType.HISTOGRAM);
      const ok = duration.dataPoints.find((p) => p.attributes['error.type'] === undefined)!;
      expect((ok.value as Histogram).count).toBe(2);
      expect(histogramCount(metrics, 'wspool.request.duration', { 'error.type': 'WSPOOL_ERR_REMOTE' })).toBe(
        1,
      );
      expect(
        histogramCount(metrics, 'wspool.request.duration', { 'error.type': 'WSPOOL_ERR_REQUEST_TIMEOUT' }),
      ).toBe(1);
    } finally {
      await pool.close();
    }
  });
});
