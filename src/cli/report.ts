/**
 * What the CLI prints at the end: the bench summary table, the probe report and error reports, as
 * aligned text for people and as JSON (`--json`) for scripts. Pure formatting over plain data.
 */
import type { BenchMode } from './args.js';
import type { ErrorReport } from './errors.js';
import type { LatencySummary } from './histogram.js';

/** Everything a bench run reports. Latencies in ms. */
export interface BenchResult {
  /** Redacted. */
  url: string;
  embeddedServer: boolean;
  mode: BenchMode;
  loop: 'closed' | 'open';
  /** Requests per second asked for (open loop). */
  rate: number | undefined;
  conns: number;
  concurrency: number;
  payloadBytes: number;
  durationMs: number;
  elapsedMs: number;
  interrupted: boolean;
  ok: number;
  errors: number;
  cancelled: number;
  /** Successful requests per second of elapsed time. */
  throughput: number;
  latency: LatencySummary;
  errorsByCode: (ErrorReport & { count: number })[];
  /** The pool's `stat()` at the end of the run (numeric fields). */
  pool: Record<string, number>;
}

/** Phases of one dial, ms from the start; `undefined` = not reached (or not applicable). */
export interface ProbeTimings {
  dns: number | undefined;
  tcp: number | undefined;
  tls: number | undefined;
  upgrade: number | undefined;
  total: number | undefined;
}

/** The phases of a probe, in order. */
export type ProbePhase = 'dns' | 'tcp' | 'tls' | 'upgrade' | 'ping';

export interface ProbeResult {
  /** Redacted. */
  url: string;
  ok: boolean;
  /** Where a failed probe stopped. */
  failedPhase: ProbePhase | undefined;
  /** `ip:port` the socket connected to. */
  address: string | undefined;
  /** Durations of each phase, ms. */
  timings: ProbeTimings;
  httpStatus: number | undefined;
  subprotocol: string | undefined;
  extensions: string | undefined;
  tls: { protocol: string; cipher: string } | undefined;
  pingMs: number | undefined;
  error: ErrorReport | undefined;
}

// ---- numbers -------------------------------------------------------------------------------------

const COUNT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** `12,345` */
export function formatCount(n: number): string {
  return COUNT.format(n);
}

/** Three significant digits or so: `0.412 ms`, `3.91 ms`, `27.4 ms`, `1,204 ms`. */
export function formatMs(ms: number): string {
  if (ms === 0) return '0 ms';
  const digits = ms < 1 ? 3 : ms < 10 ? 2 : ms < 100 ? 1 : 0;
  return `${digits === 0 ? formatCount(ms) : ms.toFixed(digits)} ms`;
}

/** `64 B`, `4 KiB`, `1.5 MiB` */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${trim(bytes / 1024)} KiB`;
  return `${trim(bytes / (1024 * 1024))} MiB`;
}

function trim(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** Rows of cells as left-aligned columns two spaces apart, each line indented by `indent`. */
export function table(rows: readonly (readonly string[])[], indent = '  '): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map(
      (row) =>
        indent +
        row
          .map((cell, i) => cell.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
    )
    .join('\n');
}

// ---- bench ---------------------------------------------------------------------------------------

export function formatBench(r: BenchResult): string {
  const loop =
    r.loop === 'open'
      ? `open loop at ${formatCount(r.rate ?? 0)} req/s (at most ${formatCount(r.concurrency)} outstanding)`
      : `closed loop, concurrency ${formatCount(r.concurrency)}`;
  const lines = [
    `wspool bench  ${r.url}${r.embeddedServer ? '  (embedded echo server)' : ''}`,
    `  ${r.mode} mode, ${loop}, ${r.conns} connections, ${formatBytes(r.payloadBytes)} payload, ` +
      `${(r.elapsedMs / 1000).toFixed(2)} s${r.interrupted ? ' (interrupted by Ctrl-C)' : ''}`,
    '',
    table([
      ['req/s', 'requests', 'errors', 'p50', 'p90', 'p99', 'max'],
      [
        formatCount(Math.round(r.throughput)),
        formatCount(r.ok),
        formatCount(r.errors),
        formatMs(r.latency.p50),
        formatMs(r.latency.p90),
        formatMs(r.latency.p99),
        formatMs(r.latency.max),
      ],
    ]),
    '',
  ];
  if (r.cancelled > 0) {
    lines.push(`  ${formatCount(r.cancelled)} requests still outstanding at the end were cancelled.`, '');
  }
  if (r.errorsByCode.length === 0) {
    lines.push('  errors by code: none', '');
  } else {
    lines.push(
      table([
        ['errors by code', 'count', 'first message'],
        ...r.errorsByCode.map((e) => [e.code, formatCount(e.count), truncate(e.message, 90)]),
      ]),
      '',
    );
    for (const e of r.errorsByCode) lines.push(`  ${e.code}: ${e.advice}`);
    lines.push('');
  }
  lines.push('  pool stats', statGrid(r.pool), '');
  return lines.join('\n');
}

/** `stat()` fields as `name value` pairs, three per row. */
function statGrid(stat: Record<string, number>): string {
  const cells = Object.entries(stat).map(([k, v]) => [k, formatCount(v)]);
  const rows: string[][] = [];
  for (let i = 0; i < cells.length; i += 3) rows.push(cells.slice(i, i + 3).flat());
  return table(rows, '    ');
}

export function benchJson(r: BenchResult): string {
  return toJson({ command: 'bench', ...r });
}

// ---- probe ---------------------------------------------------------------------------------------

export function formatProbe(r: ProbeResult): string {
  const t = r.timings;
  // A phase not reached shows `-` (DNS for an IP address, TLS for ws:), or `failed` where it stopped.
  const cell = (phase: ProbePhase, ms: number | undefined): string =>
    ms !== undefined ? formatMs(ms) : r.failedPhase === phase ? 'failed' : '-';
  const status = r.httpStatus === undefined ? '' : `  (HTTP ${r.httpStatus})`;
  const rows: string[][] = [
    ['address', r.address ?? '-'],
    ['dns lookup', cell('dns', t.dns)],
    ['tcp connect', cell('tcp', t.tcp)],
    ['tls handshake', cell('tls', t.tls)],
    ['http upgrade', `${cell('upgrade', t.upgrade)}${status}`],
    ['total', t.total === undefined ? '-' : formatMs(t.total)],
  ];
  if (r.tls) rows.push(['tls', `${r.tls.protocol}, ${r.tls.cipher}`]);
  if (r.ok || r.failedPhase === 'ping') {
    rows.push(
      ['subprotocol', r.subprotocol || '(none)'],
      ['extensions', r.extensions || '(none)'],
      ['ping rtt', cell('ping', r.pingMs)],
    );
  }
  const lines = [`wspool probe  ${r.url}`, table(rows)];
  if (r.error) lines.push('', ...errorLines(r.error));
  return `${lines.join('\n')}\n`;
}

export function probeJson(r: ProbeResult): string {
  return toJson({ command: 'probe', ...r });
}

/** Decimals kept in `--json` numbers: a microsecond in a millisecond field, beyond noise everywhere. */
const JSON_DECIMALS = 3;

/**
 * Pretty JSON in which a field not known (`undefined`) stays present, as `null`, and fractions are
 * rounded to {@link JSON_DECIMALS} places (`12.345`, not `12.345678901234`).
 */
function toJson(value: object): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (v === undefined) return null;
      if (typeof v === 'number' && !Number.isInteger(v)) return Number(v.toFixed(JSON_DECIMALS));
      return v;
    },
    2,
  );
}

// ---- errors --------------------------------------------------------------------------------------

/** The error block printed when a command fails. */
export function errorLines(e: ErrorReport, indent = '  '): string[] {
  const rows = [
    ['error', e.code],
    ['message', e.message],
  ];
  if (e.cause) rows.push(['cause', e.cause]);
  rows.push(['advice', e.advice]);
  return table(rows, indent).split('\n');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
