/**
 * `wspool/otel`: OpenTelemetry metrics for wspool pools. Needs `@opentelemetry/api` (an optional
 * peer dependency of wspool) only for its types: the `Meter` is yours.
 *
 * @example
 * ```ts
 * import { metrics } from '@opentelemetry/api';
 * import { instrumentPool } from 'wspool/otel';
 *
 * using _metrics = instrumentPool(pool, metrics.getMeter('my-service'));
 * ```
 * @module
 */
export { instrumentPool } from './instrument-pool.js';
export type {
  InstrumentableEndpointStat,
  InstrumentablePool,
  InstrumentableStat,
  InstrumentPoolOptions,
  PoolInstrumentation,
} from './instrument-pool.js';
