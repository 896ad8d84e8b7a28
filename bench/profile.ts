/**
 * CPU profile of one hot path, for speed work: `npx tsx bench/profile.ts [echo|exchange|acquire|rpc|batch]` runs it
 * for a few seconds against the bench server (its own process) and prints the top functions by
 * self time from a V8 CPU profile taken in-process with `node:inspector`.
 */
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createPool } from './lib/wspool.js';
import { startServer } from './lib/server-process.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const mode = process.argv[2] ?? 'echo';

/** Write syscalls of this process so far (`syscw` in /proc/self/io, Linux); 0 elsewhere. */
function writeSyscalls(): number {
  try {
    return Number(/syscw: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** CPU time (user + system, µs) of process `pid` so far, from /proc (Linux); 0 elsewhere. */
function processCpuMicros(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return 0;
  }
}
const seconds = Number(process.env['PROFILE_SECONDS'] ?? 3);

async function main(): Promise<void> {
  const server = await startServer();
  const session = new Session();
  session.connect();
  let ops = 0;
  const until = Date.now() + seconds * 1000;
  await session.post('Profiler.enable');
  const cpuStart = process.cpuUsage();
  const writesStart = writeSyscalls();
  const serverCpuStart = processCpuMicros(server.pid);
  if (mode === 'rpc' || mode === 'batch') {
    const { JsonRpcPool } = await import('./lib/wspool.js');
    const pool = new JsonRpcPool({
      url: server.url('/rpc'),
      minConns: 4,
      maxConns: 4,
      maxInFlightPerConn: 64,
      batch: mode === 'batch',
    });
    await pool.call('echo', [1]);
    await session.post('Profiler.start');
    await Promise.all(
      Array.from({ length: 256 }, async () => {
        while (Date.now() < until) {
          await pool.call('echo', ['x']);
          ops++;
        }
      }),
    );
    await pool.close();
  } else {
    const pool = await createPool({ url: server.url('/echo'), minConns: 8, maxConns: 8 });
    const payload = 'x'.repeat(64);
    await session.post('Profiler.start');
    await Promise.all(
      Array.from({ length: mode === 'acquire' ? 100 : 64 }, async () => {
        while (Date.now() < until) {
          if (mode === 'exchange') {
            await pool.exchange(payload);
            ops++;
            continue;
          }
          const conn = await pool.acquire();
          if (mode !== 'acquire') {
            await conn.sendMessage(payload);
            await conn.readMessage();
          }
          conn.release();
          ops++;
          if (mode === 'acquire' && ops % 1000 === 0) await new Promise((r) => setImmediate(r));
        }
      }),
    );
    await pool.close();
  }
  const cpu = process.cpuUsage(cpuStart);
  const writes = writeSyscalls() - writesStart;
  const serverCpu = processCpuMicros(server.pid) - serverCpuStart;
  const { profile } = await session.post('Profiler.stop');
  await server.stop();
  const nodes = profile.nodes as ProfileNode[];
  const total = nodes.reduce((sum, n) => sum + (n.hitCount ?? 0), 0);
  const byName = new Map<string, number>();
  for (const n of nodes) {
    const file = n.callFrame.url.split('/').slice(-2).join('/');
    const key = `${n.callFrame.functionName || '(anonymous)'} ${file}:${n.callFrame.lineNumber + 1}`;
    byName.set(key, (byName.get(key) ?? 0) + (n.hitCount ?? 0));
  }
  console.log(
    `${mode}: ${ops} ops in ${seconds}s = ${Math.round(ops / seconds)} ops/s; ${total} samples; client CPU ${((cpu.user + cpu.system) / ops).toFixed(2)} µs/op (user ${(cpu.user / ops).toFixed(2)}, profiler on), server CPU ${(serverCpu / ops).toFixed(2)} µs/op; ${(writes / ops).toFixed(3)} write syscalls/op`,
  );
  for (const [name, hits] of [...byName]
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(process.env['PROFILE_TOP'] ?? 25))) {
    console.log(`${((hits / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
