/**
 * The endpoint options of every pool kind: `url` or `endpoints` (exactly one), the balance mode and
 * the ejection knobs. Parsed once, synchronously, with the pool's config; nothing here dials.
 * @module
 */
import { parseWsUrl } from '../connection/url.js';
import { invalidConfig } from '../errors.js';
import { redactUrl } from '../util/redact.js';
import { checkDuration, checkInteger } from '../util/validate.js';

/** One entry of `endpoints`: a URL, or a URL with its weight. */
export type EndpointInput =
  | string
  | URL
  | {
      /** A `ws:` or `wss:` URL. */
      url: string | URL;
      /** Share relative to the other endpoints, a finite number > 0. @default 1 */
      weight?: number;
    };

/** How a pool with several endpoints spreads its work (see {@link EndpointOptions.balance}). */
export type BalanceMode = 'least-loaded' | 'priority';

/** The options a pool with `endpoints` adds; all ignored (and harmless) with a single `url`. */
export interface EndpointOptions {
  /**
   * Equivalent servers (several RPC nodes, several gateways), given instead of `url`. Each is a
   * `ws:`/`wss:` URL, or `{ url, weight }` (weight > 0, default 1: an endpoint of weight 3 takes
   * three times the share of one of weight 1).
   */
  endpoints?: readonly EndpointInput[];
  /**
   * `'least-loaded'`: new connections (and, in multiplexed pools, each request) go where
   * `(load + 1) × latency ÷ weight` is lowest. `'priority'`: the first healthy endpoint in list
   * order takes everything; the pool fails back to an earlier one once it has been healthy for
   * `failbackAfter`.
   * @default 'least-loaded'
   */
  balance?: BalanceMode;
  /**
   * `'priority'` only: how long an earlier endpoint must have been healthy before the pool moves
   * back to it.
   * @default 30_000
   */
  failbackAfter?: number;
  /**
   * Consecutive failures (failed dials, ping timeouts, request timeouts, unexpected closes; never
   * an error the server answered with) that eject an endpoint.
   * @default 5
   */
  ejectAfterFailures?: number;
  /**
   * The first ejection lasts this long, the n-th n times as long (jittered), at most
   * `maxEjectionTime`; the count drops by one for each `ejectionTime` the endpoint stays healthy.
   * @default 30_000
   */
  ejectionTime?: number;
  /**
   * Cap on one ejection.
   * @default 300_000
   */
  maxEjectionTime?: number;
}

/** Defaults of {@link EndpointOptions}. */
export const ENDPOINT_DEFAULTS = {
  balance: 'least-loaded',
  failbackAfter: 30_000,
  ejectAfterFailures: 5,
  ejectionTime: 30_000,
  maxEjectionTime: 300_000,
} as const;

/** The option names this module owns (beside `url`). */
export const ENDPOINT_OPTION_KEYS: readonly string[] = [
  'endpoints',
  'balance',
  'failbackAfter',
  'ejectAfterFailures',
  'ejectionTime',
  'maxEjectionTime',
];

/** One endpoint as parsed: its URL (secrets intact, for dialling), redacted form, weight, position. */
export interface EndpointSpec {
  readonly url: URL;
  /** Credentials and query values masked: the only form that leaves the library. */
  readonly redacted: string;
  readonly weight: number;
  /** Position in `endpoints` (the order of `stat().endpoints` and of `'priority'`). */
  readonly index: number;
}

/** The endpoint options with defaults applied. */
export interface ResolvedEndpoints {
  readonly specs: readonly EndpointSpec[];
  readonly balance: BalanceMode;
  readonly failbackAfter: number;
  readonly ejectAfterFailures: number;
  readonly ejectionTime: number;
  readonly maxEjectionTime: number;
}

/**
 * Check that exactly one of `url` and `endpoints` is given and parse it. Returns the single URL
 * (`endpoints: undefined`) or the first endpoint's URL plus the resolved endpoints. A single-`url`
 * pool keeps its v1 path untouched: `endpoints` stays `undefined` and nothing else is allocated.
 */
export function resolveEndpoints(config: EndpointOptions & { url?: unknown }): {
  url: URL;
  endpoints: ResolvedEndpoints | undefined;
} {
  const hasUrl = config.url !== undefined;
  const hasEndpoints = config.endpoints !== undefined;
  if (hasUrl && hasEndpoints) {
    throw invalidConfig('endpoints', 'either `url` or `endpoints`, not both', 'both');
  }
  if (!hasEndpoints) {
    if (!hasUrl)
      throw invalidConfig('url', 'a ws:// or wss:// URL (or `endpoints`: a list of them)', undefined);
    for (const key of ENDPOINT_OPTION_KEYS) {
      if ((config as Record<string, unknown>)[key] !== undefined) {
        throw invalidConfig(
          key,
          'no such option without `endpoints` (it applies to several endpoints)',
          'a value',
        );
      }
    }
    return { url: parseWsUrl(config.url), endpoints: undefined };
  }
  const specs = parseEndpointList(config.endpoints);
  const balance = config.balance ?? ENDPOINT_DEFAULTS.balance;
  if (balance !== 'least-loaded' && balance !== 'priority') {
    throw invalidConfig('balance', "'least-loaded' or 'priority'", balance);
  }
  const ejectionTime =
    config.ejectionTime === undefined
      ? ENDPOINT_DEFAULTS.ejectionTime
      : checkDuration('ejectionTime', config.ejectionTime);
  const maxEjectionTime =
    config.maxEjectionTime === undefined
      ? Math.max(ENDPOINT_DEFAULTS.maxEjectionTime, ejectionTime)
      : checkDuration('maxEjectionTime', config.maxEjectionTime);
  if (maxEjectionTime < ejectionTime) {
    throw invalidConfig(
      'maxEjectionTime',
      `a number of ms >= ejectionTime (${ejectionTime})`,
      maxEjectionTime,
    );
  }
  return {
    url: (specs[0] as EndpointSpec).url,
    endpoints: Object.freeze({
      specs,
      balance,
      failbackAfter:
        config.failbackAfter === undefined
          ? ENDPOINT_DEFAULTS.failbackAfter
          : checkDuration('failbackAfter', config.failbackAfter, { allowZero: true }),
      ejectAfterFailures:
        config.ejectAfterFailures === undefined
          ? ENDPOINT_DEFAULTS.ejectAfterFailures
          : checkInteger('ejectAfterFailures', config.ejectAfterFailures, 1, { allowInfinity: true }),
      ejectionTime,
      maxEjectionTime,
    }),
  };
}

function parseEndpointList(list: unknown): readonly EndpointSpec[] {
  if (!Array.isArray(list) || list.length === 0) {
    throw invalidConfig('endpoints', 'a non-empty array of ws:// or wss:// URLs', list);
  }
  const seen = new Set<string>();
  return Object.freeze(
    list.map((input: unknown, index): EndpointSpec => {
      const isEntry = typeof input === 'object' && input !== null && !(input instanceof URL);
      const url = parseWsUrl(isEntry ? (input as { url?: unknown }).url : input);
      const weightInput = isEntry ? (input as { weight?: unknown }).weight : undefined;
      const weight = weightInput === undefined ? 1 : weightOf(index, weightInput);
      const redacted = redactUrl(url);
      if (seen.has(url.href)) {
        throw invalidConfig(`endpoints[${index}]`, 'each endpoint once', redacted);
      }
      seen.add(url.href);
      return Object.freeze({ url, redacted, weight, index });
    }),
  );
}

function weightOf(index: number, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalidConfig(`endpoints[${index}].weight`, 'a finite number > 0', value);
  }
  return value;
}
