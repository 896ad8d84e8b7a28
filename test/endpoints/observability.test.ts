// What a pool with endpoints tells the outside: OpenTelemetry series per endpoint (attribute
// `endpoint`), stat().endpoints, the eject/readmit channels and onError — never a credential.
import diagnostics from 'node:diagnostics_channel';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { CHANNELS, JsonRpcPool, Pool, type WsPoolError } from '../../src/index.js';
import { instrumentPool } from '../../src/otel/index.js';
import { PoolJar, until } from '../multiplex/support.js';
import { load, startCluster, type Cluster, KINDS } from './cluster.js';

let cluster: Cluster;
const jar = new PoolJar();
beforeAll(async () => {
  cluster = await startCluster(2);
});
afterEach(async () => {
  await jar.closeAll();
  for (const node of cluster.nodes) node.up();
});
afterAll(() => cluster.close());

/** `ws://user:pass@host:port/?token=…` for a node: secrets the library must never show. */
function secretUrl(url: string): string {
  const u = new URL(url);
  u.username = 'edge-user';
  u.password = 'pw-hunter22';
  u.searchParams.set('token', 'tok-SECRET-42');
  return u.href;
}
const SECRET = /edge-user|pw-hunter22|tok-SECRET-42/;

it('OpenTelemetry: one series per endpoint, the redacted URL as `endpoint`', async () => {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  try {
    cluster.nodes[1]!.down();
    const urls = cluster.urls.map(secretUrl);
    const pool = jar.add(new JsonRpcPool({ endpoints: urls, connectTimeout: 2_000 }));
    instrumentPool(pool, provider.getMeter('test'));
    // Concurrent calls: the balance wants the second endpoint too, and its dial fails.
    const { errors } = await load(
      {
        kind: 'JsonRpcPool',
        call: () => pool.call<string>('who'),
        endpoints: () => [],
        close: () => pool.close(),
      },
      40,
      4,
    );
    expect(errors).toEqual([]);
    await reader.forceFlush();
    const metrics = new Map<string, MetricData>();
    for (const rm of exporter.getMetrics())
      for (const scope of rm.scopeMetrics) for (const m of scope.metrics) metrics.set(m.descriptor.name, m);
    const byEndpoint = (name: string): Record<string, number> =>
      Object.fromEntries(
        (metrics.get(name)?.dataPoints ?? []).map((p) => [String(p.attributes.endpoint), p.value as number]),
      );
    const redacted = pool.stat().endpoints!.map((e) => e.url);
    expect(redacted[0]).toContain('***');
    const open = pool.stat().endpoints!.map((e) => e.openConns);
    expect(open[0]).toBeGreaterThan(0);
    expect(byEndpoint('wspool.endpoint.connections')).toEqual({ [redacted[0]!]: open[0], [redacted[1]!]: 0 });
    expect(byEndpoint('wspool.endpoint.failures')[redacted[1]!]).toBeGreaterThan(0);
    expect(byEndpoint('wspool.endpoint.ejected')).toEqual({ [redacted[0]!]: 0, [redacted[1]!]: 0 });
    expect(Object.keys(byEndpoint('wspool.endpoint.latency'))).toEqual([redacted[0]]);
    expect(JSON.stringify([...metrics.values()].map((m) => m.dataPoints))).not.toMatch(SECRET);
  } finally {
    await provider.shutdown();
  }
});

it.each(KINDS)('$kind: stat, channels, onError and errors never show a credential', async ({ make }) => {
  const seen: unknown[] = [];
  const record = (m: unknown): void => void seen.push(m);
  diagnostics.subscribe(CHANNELS.endpointEject, record);
  const reported: unknown[] = [];
  try {
    for (const node of cluster.nodes) node.down();
    const pool = jar.add(
      make({
        endpoints: cluster.urls.map(secretUrl),
        ejectAfterFailures: 1,
        connectTimeout: 2_000,
        onError: (error, info) => reported.push({ message: error.message, cause: String(error.cause), info }),
      }),
    );
    const { errors } = await load(pool, 1, 1);
    const error = errors[0] as WsPoolError;
    expect(error.code).toBe('WSPOOL_ERR_CONNECT_FAILED');
    await until(() => reported.length === 2 && seen.length === 2, 'both ejections reported');
    const everything = JSON.stringify({
      stat: pool.endpoints(),
      seen: seen.map((m) => ({
        ...(m as object),
        pool: undefined,
        error: String((m as { error: unknown }).error),
      })),
      reported,
      message: error.message,
      causes: (error.cause as AggregateError).errors.map(String),
    });
    expect(everything).toContain('***');
    expect(everything).not.toMatch(SECRET);
  } finally {
    diagnostics.unsubscribe(CHANNELS.endpointEject, record);
  }
});

it('a single-url pool reports no endpoints and takes none of their options', () => {
  const pool = new Pool({ url: cluster.urls[0]! });
  jar.add(pool);
  expect(pool.stat().endpoints).toBeUndefined();
  expect(() => new Pool({ url: cluster.urls[0]!, balance: 'priority' })).toThrow(/balance/);
  expect(() => new JsonRpcPool({ url: cluster.urls[0]!, endpoints: cluster.urls })).toThrow(/endpoints/);
});
