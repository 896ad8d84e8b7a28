/**
 * Draws `bench/results/ratios.svg`: one horizontal bar per contender and throughput scenario,
 * its length the ratio to the scenario's baseline, a vertical line at 1.0, the issue's goals as
 * red ticks on wspool's rows, and the machine line. Plain SVG text, built from the numbers of
 * the run, so the README's chart is always the last run's.
 *
 * @module
 */
import { formatRate, formatRatio, formatRatioRange } from './format.js';
import { machineLine } from './machine.js';
import type { BenchResults, GoalResult, ThroughputEntry, ThroughputResult } from './results.js';

const WIDTH = 820;
const LABEL_X = 20;
const PLOT_LEFT = 230;
const PLOT_RIGHT = 640;
const TOP = 78;
const GROUP_HEIGHT = 28;
const ROW_HEIGHT = 24;
const BAR_HEIGHT = 14;
/** Roughly how wide a value label (`0.66×  (31.4 k req/s)`) is drawn. */
const LABEL_WIDTH = 140;

const COLOR = {
  subject: '#2563eb',
  alternative: '#a3a3a3',
  baseline: '#525252',
  goal: '#dc2626',
  axis: '#111827',
  grid: '#e5e7eb',
  muted: '#6b7280',
} as const;

function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

function text(x: number, y: number, content: string, attributes = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}"${attributes === '' ? '' : ` ${attributes}`}>${escapeXml(content)}</text>`;
}

/** Text drawn over lines stays readable: a white outline painted under the glyphs. */
const HALO = 'stroke="#ffffff" stroke-width="4" stroke-linejoin="round" paint-order="stroke"';

function isSubject(contender: string): boolean {
  return contender.startsWith('wspool');
}

interface Marker {
  /** Position in units of the scenario's baseline. */
  readonly at: number;
  readonly label: string;
}

type Row =
  | { readonly kind: 'group'; readonly result: ThroughputResult }
  | {
      readonly kind: 'bar';
      readonly result: ThroughputResult;
      readonly entry: ThroughputEntry;
      readonly ratio: number;
      readonly markers: readonly Marker[];
    }
  | { readonly kind: 'missing'; readonly name: string; readonly markers: readonly Marker[] };

/** The goals of `result` for `subject`, converted to the scenario baseline's units. */
function markersFor(result: ThroughputResult, subject: string, goals: readonly GoalResult[]): Marker[] {
  const markers: Marker[] = [];
  for (const goal of goals) {
    if (goal.scenario !== result.id || goal.subject !== subject || goal.versus === undefined) continue;
    const reference = result.entries.find((entry) => entry.contender === goal.versus);
    if (reference === undefined || reference.ratio === null) continue;
    const referenceName = goal.versus === result.baseline ? '' : ` ${reference.name}`;
    markers.push({ at: goal.target * reference.ratio, label: `goal ${goal.target}×${referenceName}` });
  }
  return markers;
}

function layoutRows(results: BenchResults): Row[] {
  const rows: Row[] = [];
  for (const result of results.throughput) {
    rows.push({ kind: 'group', result });
    for (const entry of result.entries) {
      if (entry.ratio === null) continue;
      rows.push({
        kind: 'bar',
        result,
        entry,
        ratio: entry.ratio,
        markers: isSubject(entry.contender) ? markersFor(result, entry.contender, results.goals) : [],
      });
    }
    // A goal whose subject did not run still gets its row, so the gap is visible.
    const missing = new Set(
      results.goals
        .filter((goal) => goal.scenario === result.id && goal.value === null)
        .map((goal) => goal.subject)
        .filter((subject) => !result.entries.some((entry) => entry.contender === subject)),
    );
    for (const subject of missing) {
      const name = results.contenders.find((contender) => contender.id === subject)?.name ?? subject;
      rows.push({ kind: 'missing', name, markers: markersFor(result, subject, results.goals) });
    }
  }
  return rows;
}

function niceMax(rows: readonly Row[]): number {
  let top = 1.25;
  for (const row of rows) {
    if (row.kind === 'group') continue;
    if (row.kind === 'bar') top = Math.max(top, row.ratio, row.entry.ratioMax ?? 0);
    for (const marker of row.markers) top = Math.max(top, marker.at);
  }
  return Math.ceil((top * 1.08) / 0.5) * 0.5;
}

export function renderSvg(results: BenchResults): string {
  const rows = layoutRows(results);
  const max = niceMax(rows);
  const x = (value: number): number => PLOT_LEFT + (Math.min(value, max) / max) * (PLOT_RIGHT - PLOT_LEFT);
  // Painted in this order: grid, bars, the 1.0 line, goal ticks, then every label on top.
  const bars: string[] = [];
  const ticks: string[] = [];
  const labels: string[] = [];
  let y = TOP;

  for (const row of rows) {
    if (row.kind === 'group') {
      const { result } = row;
      const goals = results.goals
        .filter((goal) => goal.scenario === result.id && goal.versus !== undefined)
        .map((goal) => {
          const versus =
            results.contenders.find((contender) => contender.id === goal.versus)?.name ?? goal.versus;
          return `≥ ${goal.target}× ${versus}`;
        });
      const goalText = goals.length === 0 ? '' : `goal: ${goals.join(', ')}`;
      labels.push(
        `<text x="${LABEL_X}" y="${y + 18}" font-size="13" ${HALO}><tspan font-weight="600">${escapeXml(
          `${result.suite}. ${result.title} — ${result.unit} vs ${result.baselineName}`,
        )}</tspan><tspan dx="10" fill="${COLOR.goal}" font-size="11">${escapeXml(goalText)}</tspan></text>`,
      );
      y += GROUP_HEIGHT;
      continue;
    }
    const barY = y + (ROW_HEIGHT - BAR_HEIGHT) / 2;
    const mid = y + ROW_HEIGHT / 2 + 4;
    if (row.kind === 'bar') {
      const { entry } = row;
      const color = isSubject(entry.contender)
        ? COLOR.subject
        : entry.contender === row.result.baseline
          ? COLOR.baseline
          : COLOR.alternative;
      const end = x(row.ratio);
      // The range of per-round ratios, as a whisker across the bar's end.
      const low = entry.ratioMin === null ? end : x(entry.ratioMin);
      const high = entry.ratioMax === null ? end : x(entry.ratioMax);
      // The value label starts after the bar and its whisker, or after a goal tick it would otherwise cover.
      const covered = row.markers
        .map((marker) => x(marker.at))
        .filter((mx) => mx >= high - 2 && mx < high + LABEL_WIDTH);
      const labelStart = Math.max(end, high, ...covered) + 6;
      bars.push(
        `<rect x="${PLOT_LEFT}" y="${barY.toFixed(1)}" width="${Math.max(1, end - PLOT_LEFT).toFixed(1)}" height="${BAR_HEIGHT}" fill="${color}" rx="2"/>`,
      );
      if (high - low >= 1) {
        const wy = barY + BAR_HEIGHT / 2;
        bars.push(
          `<path d="M${low.toFixed(1)} ${wy.toFixed(1)}H${high.toFixed(1)}M${low.toFixed(1)} ${(wy - 4).toFixed(1)}V${(wy + 4).toFixed(1)}M${high.toFixed(1)} ${(wy - 4).toFixed(1)}V${(wy + 4).toFixed(1)}" stroke="${COLOR.axis}" stroke-width="1.2" fill="none"><title>per-round ratios ${escapeXml(formatRatioRange(entry.ratioMin, entry.ratioMax))}</title></path>`,
        );
      }
      labels.push(
        text(LABEL_X + 12, mid, entry.name, isSubject(entry.contender) ? 'font-weight="600"' : ''),
        text(
          labelStart,
          mid,
          `${formatRatio(row.ratio)}  (${formatRate(entry.median)} ${row.result.unit})`,
          HALO,
        ),
      );
    } else {
      labels.push(
        text(LABEL_X + 12, mid, row.name, `fill="${COLOR.muted}"`),
        text(PLOT_LEFT + 6, mid, 'not run (skipped)', `fill="${COLOR.muted}" font-style="italic" ${HALO}`),
      );
    }
    for (const marker of row.markers) {
      const mx = x(marker.at);
      ticks.push(
        `<line x1="${mx.toFixed(1)}" y1="${(barY - 3).toFixed(1)}" x2="${mx.toFixed(1)}" y2="${(barY + BAR_HEIGHT + 3).toFixed(1)}" stroke="${COLOR.goal}" stroke-width="2.5"><title>${escapeXml(marker.label)}</title></line>`,
      );
    }
    y += ROW_HEIGHT;
  }

  const plotBottom = y + 6;
  const grid: string[] = [];
  const step = max <= 2 ? 0.25 : max <= 5 ? 0.5 : 1;
  for (let tick = 0; tick <= max + 1e-9; tick += step) {
    const tx = x(tick);
    grid.push(
      `<line x1="${tx.toFixed(1)}" y1="${TOP}" x2="${tx.toFixed(1)}" y2="${plotBottom}" stroke="${COLOR.grid}"/>`,
      text(tx, plotBottom + 16, `${Number(tick.toFixed(2))}×`, `text-anchor="middle" fill="${COLOR.muted}"`),
    );
  }
  const one = x(1);
  const baselineLine = `<line x1="${one.toFixed(1)}" y1="${TOP - 4}" x2="${one.toFixed(1)}" y2="${plotBottom}" stroke="${COLOR.axis}" stroke-width="1.5" stroke-dasharray="4 3"/>`;

  const legendY = plotBottom + 44;
  const legend = [
    `<rect x="${LABEL_X}" y="${legendY - 10}" width="12" height="12" fill="${COLOR.subject}" rx="2"/>`,
    text(LABEL_X + 18, legendY, 'wspool'),
    `<rect x="${LABEL_X + 80}" y="${legendY - 10}" width="12" height="12" fill="${COLOR.alternative}" rx="2"/>`,
    text(LABEL_X + 98, legendY, 'alternative'),
    `<rect x="${LABEL_X + 190}" y="${legendY - 10}" width="12" height="12" fill="${COLOR.baseline}" rx="2"/>`,
    text(LABEL_X + 208, legendY, 'baseline (= 1.0×)'),
    `<line x1="${LABEL_X + 340}" y1="${legendY - 11}" x2="${LABEL_X + 340}" y2="${legendY + 3}" stroke="${COLOR.goal}" stroke-width="2.5"/>`,
    text(LABEL_X + 348, legendY, 'goal from issue 6, on wspool’s row'),
  ];
  const footerY = legendY + 24;
  const height = footerY + 16;

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="12" fill="${COLOR.axis}">`,
    `<title>wspool benchmark: throughput ratio vs baseline</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    text(
      LABEL_X,
      30,
      'wspool benchmark — throughput ratio vs baseline (higher is better)',
      'font-size="16" font-weight="700"',
    ),
    text(LABEL_X, 52, machineLine(results.machine), `fill="${COLOR.muted}"`),
    ...grid,
    ...bars,
    baselineLine,
    ...ticks,
    ...labels,
    ...legend,
    text(
      LABEL_X,
      footerY,
      `Generated by bench/run.ts from results/latest.json, ${results.startedAt}; median of ${results.config.rounds} per-round ratios, whiskers their range.`,
      `fill="${COLOR.muted}" font-size="11"`,
    ),
    '</svg>',
    '',
  ].join('\n');
}
