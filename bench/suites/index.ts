/**
 * Every throughput scenario (suites 1–3), built for one bench server. The runner and the
 * per-contender processes build them through this one function, so both sides agree on each
 * scenario's id and workload.
 *
 * @module
 */
import type { SuiteId } from '../lib/config.js';
import type { ThroughputScenario } from '../lib/rounds.js';
import { acquireReleaseScenarios } from './acquire-release.js';
import { exclusiveEchoScenario } from './exclusive-echo.js';
import { jsonRpcScenario } from './json-rpc.js';
import { notificationsScenario } from './notifications.js';

/** `ws://127.0.0.1:<port><path>` on the bench server. */
export type ServerUrl = (path: '/echo' | '/rpc') => string;

/** The throughput scenarios of `suites`, in run order. */
export function throughputScenarios(url: ServerUrl, suites: readonly SuiteId[]): ThroughputScenario[] {
  const scenarios: ThroughputScenario[] = [];
  if (suites.includes('1')) scenarios.push(...acquireReleaseScenarios(url('/echo')));
  if (suites.includes('2')) scenarios.push(exclusiveEchoScenario(url('/echo')));
  if (suites.includes('3')) scenarios.push(jsonRpcScenario(url('/rpc')), notificationsScenario(url('/rpc')));
  return scenarios;
}

/** The bench server's URLs for `port`. */
export function serverUrl(port: number): ServerUrl {
  return (path) => `ws://127.0.0.1:${port}${path}`;
}
