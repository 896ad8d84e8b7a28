/**
 * `wspool bench [url]`: start the embedded echo server when no url is given, open the pool of the
 * chosen mode, drive it with the load generator, show progress once a second, and print the
 * summary — also after Ctrl-C.
 */
import { readFile } from 'node:fs/promises';
import { redactUrl } from '../util/redact.js';
import { BENCH_USAGE, MAX_PAYLOAD_BYTES, UsageError, type BenchOptions, type PayloadSpec } from './args.js';
import { connectOptions } from './connect-options.js';
import { spawnEchoServer, type EchoServer } from './echo-server.js';
import { describeError } from './errors.js';
import { LoadStats, runLoad } from './load.js';
import { progressWriter } from './progress.js';
import { benchJson, errorLines, formatBench, type BenchResult } from './report.js';
import { openTarget, type Target } from './targets.js';

/** How long requests still outstanding after Ctrl-C may take before the pool is closed under them. */
const INTERRUPT_GRACE_MS = 1_000;
const PROGRESS_INTERVAL_MS = 1_000;

/** Exit status of a run stopped by Ctrl-C (128 + SIGINT), after its summary is printed. */
const EXIT_INTERRUPTED = 130;

/** Run the benchmark; resolves with the exit code. `entry` is the CLI's main module (for the server). */
export async function runBench(options: BenchOptions, entry: string): Promise<number> {
  const payload = await loadPayload(options.payload, options.mode);
  const connect = await connectOptions(options.connection, BENCH_USAGE);
  const stop = new AbortController();
  // First Ctrl-C: stop sending, settle, print the summary. A second one: leave at once.
  const onSigint = (): void => {
    if (stop.signal.aborted) process.exit(EXIT_INTERRUPTED);
    stop.abort();
  };
  process.on('SIGINT', onSigint);
  let server: EchoServer | undefined;
  try {
    const url = options.url ?? (server = await spawnEchoServer(entry)).url;
    let target: Target;
    try {
      target = await openTarget({
        mode: options.mode,
        url,
        conns: options.conns,
        connect,
        timeoutMs: options.connection.timeoutMs,
        payload,
        method: options.method,
        params: options.params ?? [payload],
      });
    } catch (error) {
      reportFailure(options, url, error);
      return 1;
    }
    const result = await measure(options, target, stop.signal);
    const byteLength = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
    const report: BenchResult = {
      url: redactUrl(url),
      embeddedServer: server !== undefined,
      mode: options.mode,
      loop: options.rate === undefined ? 'closed' : 'open',
      rate: options.rate,
      conns: options.conns,
      concurrency: options.concurrency,
      payloadBytes: byteLength,
      durationMs: options.durationMs,
      ...result,
    };
    process.stdout.write(options.json ? `${benchJson(report)}\n` : formatBench(report));
    if (report.interrupted) return EXIT_INTERRUPTED;
    if (report.ok === 0) {
      process.stderr.write('wspool bench: not one request succeeded.\n');
      return 1;
    }
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    await server?.close();
  }
}

type Measured = Pick<
  BenchResult,
  | 'elapsedMs'
  | 'interrupted'
  | 'ok'
  | 'errors'
  | 'cancelled'
  | 'throughput'
  | 'latency'
  | 'errorsByCode'
  | 'pool'
>;

async function measure(options: BenchOptions, target: Target, signal: AbortSignal): Promise<Measured> {
  const stats = new LoadStats();
  const url = options.url === undefined ? undefined : new URL(options.url);
  const progress = progressWriter(process.stderr);
  let last = 0;
  const ticker = setInterval(() => {
    const elapsed = stats.elapsedMs;
    const { count, p99 } = stats.takeInterval();
    progress.update({
      elapsedMs: elapsed,
      rate: (count * 1000) / (elapsed - last),
      errors: stats.errors,
      p99,
    });
    last = elapsed;
  }, PROGRESS_INTERVAL_MS);
  ticker.unref();
  try {
    if (!signal.aborted) {
      await runLoad(
        target.request,
        {
          durationMs: options.durationMs,
          concurrency: options.concurrency,
          rate: options.rate,
          signal,
          drainMs: options.connection.timeoutMs,
          graceMs: INTERRUPT_GRACE_MS,
          cancel: () => target.close(true),
        },
        stats,
      );
    }
  } finally {
    clearInterval(ticker);
    progress.done();
  }
  const pool = target.stat();
  await target.close();
  const elapsedMs = stats.startedAt === 0 ? 0 : stats.elapsedMs;
  return {
    elapsedMs,
    interrupted: signal.aborted,
    ok: stats.ok,
    errors: stats.errors,
    cancelled: stats.cancelled,
    throughput: elapsedMs > 0 ? (stats.ok * 1000) / elapsedMs : 0,
    latency: stats.latency.summary(),
    errorsByCode: [...stats.errorsByCode]
      .sort((a, b) => b[1].count - a[1].count)
      .map(([code, { count, first }]) => ({ ...describeError(first, url, code), count })),
    pool,
  };
}

function reportFailure(options: BenchOptions, url: string, error: unknown): void {
  const report = describeError(error, new URL(url));
  if (options.json) {
    const out = { command: 'bench', ok: false, url: redactUrl(url), error: report };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    process.stderr.write(
      `wspool bench: could not start against ${redactUrl(url)}\n${errorLines(report).join('\n')}\n`,
    );
  }
}

const PATTERN = 'wspool-bench-0123456789abcdefghijklmnopqrstuvwxyz-';

/**
 * The message every request sends: generated text of the asked size, or a file's contents — as
 * text when it is valid UTF-8 (a JSON request, say), else as bytes, which only `exclusive` mode
 * can send.
 */
export async function loadPayload(
  spec: PayloadSpec,
  mode: BenchOptions['mode'],
): Promise<string | Uint8Array> {
  if (spec.kind === 'size')
    return PATTERN.repeat(Math.ceil(spec.bytes / PATTERN.length)).slice(0, spec.bytes);
  let bytes: Buffer;
  try {
    bytes = await readFile(spec.path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`--payload: cannot read the file "${spec.path}" (${code})`, BENCH_USAGE);
  }
  if (bytes.byteLength === 0 || bytes.byteLength > MAX_PAYLOAD_BYTES) {
    throw new UsageError(
      `--payload: the file must hold 1 byte to 16 MiB, it has ${bytes.byteLength}`,
      BENCH_USAGE,
    );
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    if (mode !== 'exclusive') {
      throw new UsageError(`--payload: ${mode} mode sends text, and the file is not UTF-8`, BENCH_USAGE);
    }
    return bytes;
  }
}
