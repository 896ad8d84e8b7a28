/**
 * `npm run bench:failover`: one pool over three endpoints, one of them killed under load.
 *
 * Three bench servers, each its own process (bench/server.ts). A closed loop of callers runs
 * against a pool with `endpoints` — JsonRpcPool (`/rpc`, `echo`) and the exclusive Pool (`/echo`,
 * acquire → send → read → release) — with default options otherwise. After a warm-up, the server
 * carrying the most connections is SIGKILLed (the kernel closes its sockets, as when a node dies or
 * restarts) and the loop goes on. Reported per pool kind:
 *
 * - **leave**: ms from the kill until the killed endpoint has no connection left and nothing in
 *   flight (`stat().endpoints`), i.e. until no traffic can go there. Goal: ≤ `pingTimeout` + one
 *   round trip (the median call before the kill).
 * - **p50 / p99** of calls finishing in the second after the kill, against the same before it.
 * - **errors** in that window, by code: only calls in flight on the killed node may fail.
 *
 * Not part of `npm run bench` (its numbers are times, not ratios, and it kills processes): run it
 * on its own. Output: a table on stdout and `failover.md` / `failover.json` in `BENCH_OUT`
 * (default `bench/results`).
 *
 * @module
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

import { JsonRpcPool, Pool, WsPoolError } from './lib/wspool.js';
import { describeMachine, machineLine } from './lib/machine.js';
import { startServer, type BenchServer } from './lib/server-process.js';

const WARM_MS = Number(process.env.BENCH_FAILOVER_WARM_MS ?? 2_000);
const AFTER_MS = Number(process.env.BENCH_FAILOVER_AFTER_MS ?? 2_000);
const WINDOW_MS = 1_000;
const PING_TIMEOUT = 5_000; // the default pingTimeout
const OUT = process.env.BENCH_OUT ?? fileURLToPath(new URL('./results/', import.meta.url));

interface Subject {
  readonly kind: string;
  readonly callers: number;
  call(): Promise<void>;
  endpoints(): readonly { openConns: number; inFlight: number }[];
  close(): Promise<void>;
}

interface Row {
  kind: string;
  callers: number;
  leaveMs: number | null;
  goalMs: number;
  beforeP50: number;
  beforeP99: number;
  afterP50: number;
  afterP99: number;
  calls: number;
  errors: Record<string, number>;
}

function subjects(servers: readonly BenchServer[]): (() => Subject)[] {
  return [
    () => {
      const pool = new JsonRpcPool({ endpoints: servers.map((s) => s.url('/rpc')), maxConns: 6 });
      return {
        kind: 'JsonRpcPool',
        callers: 64,
        call: async () => void (await pool.call('echo', [1])),
        endpoints: () => pool.stat().endpoints ?? [],
        close: () => pool.close(),
      };
    },
    () => {
      const pool = new Pool({ endpoints: servers.map((s) => s.url('/echo')), maxConns: 12 });
      return {
        kind: 'Pool',
        callers: 24,
        call: async () => {
          const conn = await pool.acquire();
          try {
            await conn.sendMessage('x'.repeat(64));
            await conn.readMessage();
          } finally {
            conn.release();
          }
        },
        endpoints: () => pool.stat().endpoints ?? [],
        close: () => pool.close(),
      };
    },
  ];
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function scenario(make: (servers: readonly BenchServer[]) => Subject): Promise<Row> {
  const servers = await Promise.all([startServer(), startServer(), startServer()]);
  const subject = make(servers);
  const done: { end: number; ms: number }[] = [];
  const errors: Record<string, number> = {};
  let stopAt = Infinity;
  const caller = async (): Promise<void> => {
    while (performance.now() < stopAt) {
      const start = performance.now();
      try {
        await subject.call();
        const end = performance.now();
        done.push({ end, ms: end - start });
      } catch (error) {
        const code = error instanceof WsPoolError ? error.code : String(error);
        errors[code] = (errors[code] ?? 0) + 1;
      }
    }
  };
  const loop = Promise.all(Array.from({ length: subject.callers }, caller));
  await new Promise((resolve) => setTimeout(resolve, WARM_MS));
  const stats = subject.endpoints();
  let victim = 0;
  stats.forEach((e, i) => {
    if (e.openConns > stats[victim]!.openConns) victim = i;
  });
  const before = done.filter((d) => d.end > performance.now() - WINDOW_MS).map((d) => d.ms);
  for (const key of Object.keys(errors)) delete errors[key]; // count only what the kill causes
  const killedAt = performance.now();
  const killing = servers[victim]!.kill();
  // Watch every turn (not a timer: the loop of calls may keep the timer phase waiting).
  let leftAt: number | null = null;
  while (performance.now() - killedAt < AFTER_MS) {
    const e = subject.endpoints()[victim]!;
    if (leftAt === null && e.openConns === 0 && e.inFlight === 0) leftAt = performance.now();
    await new Promise((resolve) => setImmediate(resolve));
  }
  stopAt = 0;
  await loop;
  await killing;
  const after = done.filter((d) => d.end >= killedAt && d.end < killedAt + WINDOW_MS).map((d) => d.ms);
  before.sort((a, b) => a - b);
  after.sort((a, b) => a - b);
  await subject.close();
  await Promise.all(servers.filter((_, i) => i !== victim).map((s) => s.stop()));
  const rtt = percentile(before, 50);
  return {
    kind: subject.kind,
    callers: subject.callers,
    leaveMs: leftAt === null ? null : leftAt - killedAt,
    goalMs: PING_TIMEOUT + rtt,
    beforeP50: rtt,
    beforeP99: percentile(before, 99),
    afterP50: percentile(after, 50),
    afterP99: percentile(after, 99),
    calls: after.length,
    errors,
  };
}

function markdown(rows: readonly Row[]): string {
  const f = (n: number | null): string => (n === null || Number.isNaN(n) ? '—' : n.toFixed(2));
  const lines = [
    '# Failover: one of three endpoints killed under load',
    '',
    machineLine(describeMachine()),
    '',
    '| pool | callers | leave (ms) | goal (ms) | p50 before → after (ms) | p99 before → after (ms) | calls in the second after | errors |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.kind} | ${r.callers} | ${f(r.leaveMs)} ${r.leaveMs !== null && r.leaveMs <= r.goalMs ? '✓' : '✗'} | ≤ ${f(r.goalMs)} | ${f(r.beforeP50)} → ${f(r.afterP50)} | ${f(r.beforeP99)} → ${f(r.afterP99)} | ${r.calls} | ${
          Object.entries(r.errors)
            .map(([code, n]) => `${n} ${code}`)
            .join(', ') || 'none'
        } |`,
    ),
    '',
  ];
  return lines.join('\n');
}

const rows: Row[] = [];
for (let i = 0; i < 2; i++) rows.push(await scenario((servers) => subjects(servers)[i]!()));
const report = markdown(rows);
process.stdout.write(report + '\n');
await mkdir(OUT, { recursive: true });
await writeFile(join(OUT, 'failover.md'), report);
await writeFile(join(OUT, 'failover.json'), JSON.stringify(rows, null, 2) + '\n');
