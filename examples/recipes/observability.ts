/**
 * Recipe: observe a pool — `stat()`, `diagnostics_channel`, OpenTelemetry metrics, and `leaks()`.
 *
 * - `pool.stat()`: a cheap frozen snapshot of gauges and counters, for health endpoints and logs.
 * - `node:diagnostics_channel`: every event as it happens (`wspool:<area>:<event>`); publishing
 *   costs nothing while nobody subscribes.
 * - `wspool/otel`: `instrumentPool(pool, meter)` registers OpenTelemetry instruments. Here a
 *   `MeterProvider` with an in-memory exporter stands in for your OTLP/Prometheus exporter.
 * - `trackLeaks` + `pool.leaks(ms)`: who has been holding connections, and where they took them.
 *
 * Run: npx tsx examples/recipes/observability.ts
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type Histogram,
} from '@opentelemetry/sdk-metrics';
import {
  CHANNELS,
  createPool,
  type ConnectionOpenMessage,
  type PoolAcquireMessage,
  type PoolDestroyMessage,
} from '../../src/index.js';
import { instrumentPool } from '../../src/otel/index.js';
import { echo, startLocalServer } from '../local-server.js';

async function main(): Promise<void> {
  const server = await startLocalServer(echo);

  // 1. diagnostics_channel: log connection opens and pool destroys, sum acquire waits.
  let acquires = 0;
  let waited = 0;
  const onOpen = (m: unknown): void => {
    const { url, connectMs } = m as ConnectionOpenMessage;
    console.log(`[channel] connection open ${url} in ${connectMs.toFixed(1)} ms`);
  };
  const onAcquire = (m: unknown): void => {
    acquires++;
    waited += (m as PoolAcquireMessage).waitMs;
  };
  const onDestroy = (m: unknown): void =>
    console.log(`[channel] destroy reason=${(m as PoolDestroyMessage).reason}`);
  diagnosticsChannel.subscribe(CHANNELS.connectionOpen, onOpen);
  diagnosticsChannel.subscribe(CHANNELS.poolAcquire, onAcquire);
  diagnosticsChannel.subscribe(CHANNELS.poolDestroy, onDestroy);

  // The URL's credentials and query values never reach a payload: it is logged as ***.
  const pool = await createPool({
    url: `${server.url}/feed?apiKey=s3cret`,
    minConns: 1,
    maxConns: 4,
    trackLeaks: true,
  });

  // 2. OpenTelemetry: in production, metrics.getMeter('my-service') from @opentelemetry/api with
  // your SDK set up; the instrumentation handle unregisters everything on dispose.
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
  const provider = new MeterProvider({ readers: [reader] });
  using _metrics = instrumentPool(pool, provider.getMeter('observability-recipe'), {
    attributes: { 'pool.name': 'feed' },
  });

  await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      pool.withConnection(async (conn) => {
        await conn.sendMessage(`hello ${i}`);
        await conn.readMessage({ timeout: 5_000 });
      }),
    ),
  );
  (await pool.acquire()).destroy('retired by the recipe');

  // 3. Leaks: a connection someone forgot to release.
  const forgotten = await pool.acquire();
  await new Promise((resolve) => setTimeout(resolve, 20));
  for (const leak of pool.leaks(10)) {
    const where = leak.acquiredAt?.split('\n').find((line) => line.includes('observability.ts'));
    console.log(`[leaks] held ${leak.heldMs} ms, acquired ${where?.trim() ?? '(no stack)'}`);
  }
  forgotten.release();

  // 4. stat() and the exported metrics.
  const stat = pool.stat();
  console.log(`[stat] total=${stat.totalConns} idle=${stat.idleConns} acquires=${stat.acquireCount}`);
  console.log(`[channel] ${acquires} acquires waited ${waited} ms in total`);
  await reader.forceFlush();
  const metrics = exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
  for (const metric of metrics) {
    for (const point of metric.dataPoints) {
      const value =
        typeof point.value === 'number' ? point.value : `count=${(point.value as Histogram).count}`;
      const { 'pool.name': _name, ...attrs } = point.attributes;
      const labels = Object.keys(attrs).length ? JSON.stringify(attrs) : '';
      console.log(`[otel] ${metric.descriptor.name}${labels} ${value}`);
    }
  }

  diagnosticsChannel.unsubscribe(CHANNELS.connectionOpen, onOpen);
  diagnosticsChannel.unsubscribe(CHANNELS.poolAcquire, onAcquire);
  diagnosticsChannel.unsubscribe(CHANNELS.poolDestroy, onDestroy);
  await pool.close();
  await provider.shutdown();
  await server.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
