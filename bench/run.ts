/**
 * `npm run bench`: runs every suite against every contender found in bench/contenders/, then
 * writes bench/results/latest.md, latest.json and ratios.svg.
 *
 * Settings come from the environment (bench/lib/config.ts): BENCH_QUICK=1 for a ~20 s smoke
 * run, BENCH_ROUNDS, BENCH_SECONDS, BENCH_SUITES. Benchmarks report; they never fail on speed:
 * the exit code is non-zero only when the harness itself breaks.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { readConfig } from './lib/config.js';
import { discoverContenders } from './lib/discover.js';
import { evaluateGoals } from './lib/goals.js';
import { describeMachine, machineLine } from './lib/machine.js';
import { renderMarkdown } from './lib/markdown.js';
import type { BenchResults, ScaleResults, Skip, ThroughputResult } from './lib/results.js';
import { runThroughput } from './lib/rounds.js';
import { startServer } from './lib/server-process.js';
import { renderSvg } from './lib/svg.js';
import { serverUrl, throughputScenarios } from './suites/index.js';
import { runScale } from './suites/scale.js';

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

async function main(): Promise<void> {
  const config = readConfig();
  const machine = describeMachine();
  const startedAt = new Date();
  console.log(`wspool bench — ${machineLine(machine)}`);
  if (machine.loadAverage > machine.cores / 4) {
    console.log(
      `note: load average ${machine.loadAverage} before the start: other processes share the cores, expect noisy numbers`,
    );
  }
  console.log(
    `${config.quick ? 'quick mode: ' : ''}${config.rounds} rounds × ${config.seconds} s, warm-up ${config.warmupSeconds.toFixed(2)} s, suites ${config.suites.join(', ')}`,
  );

  const discovery = await discoverContenders(undefined, config.contenders);
  for (const skip of discovery.skipped) console.log(`skipped: ${skip.name} (${skip.reason})`);
  console.log(`contenders: ${discovery.loaded.map((loaded) => loaded.contender.name).join(', ')}`);

  const server = await startServer();
  const skipped: Skip[] = [...discovery.skipped];
  const throughput: ThroughputResult[] = [];
  let scale: ScaleResults | null = null;
  try {
    for (const scenario of throughputScenarios(serverUrl(server.port), config.suites)) {
      const outcome = await runThroughput(scenario, discovery.loaded, config, server.port);
      throughput.push(outcome.result);
      skipped.push(...outcome.skipped);
    }
    if (config.suites.includes('4')) {
      const outcome = await runScale(discovery.loaded, server, config);
      scale = outcome.result;
      skipped.push(...outcome.skipped);
    }
  } finally {
    await server.stop();
  }

  const names = new Map(discovery.loaded.map((loaded) => [loaded.id, loaded.contender.name]));
  const results: BenchResults = {
    machine,
    config,
    startedAt: startedAt.toISOString(),
    durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
    contenders: discovery.loaded.map((loaded) => ({ id: loaded.id, name: loaded.contender.name })),
    skipped,
    throughput,
    goals: evaluateGoals(throughput, scale, names),
    scale,
  };

  const markdown = renderMarkdown(results);
  const outDir = config.outDir ?? RESULTS_DIR;
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(outDir, 'latest.md'), markdown);
  await writeFile(join(outDir, 'ratios.svg'), renderSvg(results));
  console.log(`\n${markdown}`);
  console.log(
    `wrote ${join(outDir, 'latest.md')}, latest.json, ratios.svg (${Math.round(results.durationSeconds)} s)`,
  );
}

await main();
