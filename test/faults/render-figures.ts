// Renders docs/reliability-figures.json (written by the fault suite with WSPOOL_WRITE_FIGURES=1) into
// the figures table of docs/reliability.md, between its `figures:start` / `figures:end` markers, so
// the document shows only numbers a run produced.
//
//   WSPOOL_WRITE_FIGURES=1 npx vitest run test/faults && npx tsx test/faults/render-figures.ts
import { readFileSync, writeFileSync } from 'node:fs';
import type { Figures } from './support.js';

const FIGURES = new URL('../../docs/reliability-figures.json', import.meta.url);
const DOC = new URL('../../docs/reliability.md', import.meta.url);
const START = '<!-- figures:start -->';
const END = '<!-- figures:end -->';

interface FiguresFile {
  generated: string;
  runs: Record<string, { at: string; node: string; stress: boolean; soakSeconds?: number }>;
  suites: Record<string, Figures[]>;
}

function errors(f: Figures): string {
  const entries = Object.entries(f.errors).sort(([, a], [, b]) => b - a);
  if (entries.length === 0 && f.untyped === 0) return '0';
  const parts = entries.map(([code, n]) => `${code.replace('WSPOOL_ERR_', '')} ${n}`);
  if (f.untyped > 0) parts.push(`untyped ${f.untyped}`);
  return parts.join(', ');
}

function extra(f: Figures): string {
  return Object.entries(f.extra)
    .map(([k, v]) => `${k} ${v}`)
    .join('; ');
}

export function render(data: FiguresFile): string {
  const runs = Object.entries(data.runs).map(
    ([suite, r]) =>
      `\`${suite}\` ${r.at} (Node ${r.node}${r.stress ? ', WSPOOL_STRESS=1' : r.soakSeconds ? '' : ', CI-bounded'}${r.soakSeconds ? `, WSPOOL_SOAK_SECONDS=${r.soakSeconds}` : ''})`,
  );
  const lines = [
    `Runs: ${runs.join('; ')}.`,
    '',
    '| suite | scenario | requests | ok | errors by code | lost | mismatched | stat checks (violations) | leaked handles | measured |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [suite, list] of Object.entries(data.suites)) {
    for (const f of list) {
      lines.push(
        `| ${suite} | ${f.scenario} | ${f.requests} | ${f.ok} | ${errors(f)} | ${f.lost} | ${f.mismatched} | ${f.statChecks} (${f.statViolations}) | ${f.leakedHandles} | ${extra(f)} |`,
      );
    }
  }
  return lines.join('\n');
}

const data = JSON.parse(readFileSync(FIGURES, 'utf8')) as FiguresFile;
const doc = readFileSync(DOC, 'utf8');
const from = doc.indexOf(START);
const to = doc.indexOf(END);
if (from < 0 || to < from) throw new Error(`docs/reliability.md lacks the ${START} … ${END} markers`);
writeFileSync(DOC, `${doc.slice(0, from + START.length)}\n\n${render(data)}\n\n${doc.slice(to)}`);
process.stdout.write('docs/reliability.md: figures table updated\n');
