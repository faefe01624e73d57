/**
 * Plain-text tables for the terminal summaries: numbers right-aligned and formatted to four
 * significant digits, text left-aligned, long cells truncated to fit the width.
 */
import type { ExperimentResult, Table } from '../experiments/types.js';
import { wrap } from './args.js';
import { formatCell, formatDuration, formatNumber } from './format.js';

export interface TableOptions {
  /** Maximum line width (default 100). */
  width?: number;
  indent?: number;
}

/** Longest cell shown before truncation with "…". */
const MAX_CELL = 40;

/**
 * A table as text. When it is wider than `width`, the columns are split into several blocks that
 * fit, each repeating the first (label) column, rather than cutting every header short.
 */
export function formatTable(table: Table, options: TableOptions = {}): string {
  const width = options.width ?? 100;
  const pad = ' '.repeat(options.indent ?? 2);
  const ncol = Math.max(table.columns.length, ...table.rows.map((r) => r.length));
  const clip = (s: string): string => (s.length > MAX_CELL ? `${s.slice(0, MAX_CELL - 1)}…` : s);
  const header = Array.from({ length: ncol }, (_, j) => clip(table.columns[j] ?? ''));
  const cells = table.rows.map((r) =>
    Array.from({ length: ncol }, (_, j) => clip(r[j] === undefined ? '' : formatCell(r[j]))),
  );
  const numeric = Array.from(
    { length: ncol },
    (_, j) => table.rows.length > 0 && table.rows.every((r) => typeof r[j] === 'number' || r[j] === undefined),
  );
  const widths = Array.from({ length: ncol }, (_, j) => Math.max(header[j].length, ...cells.map((r) => r[j].length)));
  // Column blocks: column 0 plus as many following columns as fit.
  const blocks: number[][] = [];
  let cur: number[] = [0];
  let used = pad.length + widths[0];
  for (let j = 1; j < ncol; j++) {
    if (cur.length > 1 && used + 2 + widths[j] > width) {
      blocks.push(cur);
      cur = [0];
      used = pad.length + widths[0];
    }
    cur.push(j);
    used += 2 + widths[j];
  }
  blocks.push(cur);
  const fit = (s: string, j: number): string => (numeric[j] ? s.padStart(widths[j]) : s.padEnd(widths[j]));
  const out: string[] = [];
  if (table.title) out.push(`${pad}${table.title}`);
  blocks.forEach((cols, b) => {
    if (b > 0) out.push('');
    out.push((pad + cols.map((j) => fit(header[j], j)).join('  ')).trimEnd());
    out.push(pad + cols.map((j) => '─'.repeat(widths[j])).join('  '));
    for (const r of cells) out.push((pad + cols.map((j) => fit(r[j], j)).join('  ')).trimEnd());
  });
  if (table.rows.length === 0) out.push(`${pad}(no rows)`);
  return out.join('\n');
}

/** Key-value pairs as a two-column table. */
export function recordTable(title: string, record: Record<string, number | string | boolean>): Table {
  return {
    title,
    columns: ['name', 'value'],
    rows: Object.entries(record).map(([k, v]) => [k, typeof v === 'boolean' ? String(v) : v]),
  };
}

/**
 * A reference table's title prefixed with where its numbers come from, so that numbers we computed
 * ourselves are never presented as a paper's. A table that names no source claims none.
 */
export function referenceTitle(table: Table): string {
  const source = table.source ?? 'reference, source not stated';
  return `${source.charAt(0).toUpperCase()}${source.slice(1)}: ${table.title}`;
}

/** The terminal summary of one experiment: its tables, its reference tables (labelled by source), its key metrics. */
export function formatExperimentSummary(r: ExperimentResult, options: TableOptions = {}): string {
  const out: string[] = [];
  const status = r.interrupted ? '  [interrupted: partial results]' : '';
  out.push(`── ${r.title} (${r.name}, ${formatDuration(r.seconds)})${status}`);
  const exhausted = r.metrics.exhaustedSteps;
  if (typeof exhausted === 'number' && exhausted > 0) {
    const steps = `${exhausted} step${exhausted === 1 ? '' : 's'}`;
    const text =
      `  warning: the rejection sampler hit its proposal cap in ${steps} ` +
      "(biased; NaN bounds where no data point had 2 accepted samples); see the report's notes";
    out.push(wrap(text, options.width ?? 100, 4));
  }
  for (const t of r.tables) out.push(formatTable(t, options));
  for (const t of r.references) out.push(formatTable({ ...t, title: referenceTitle(t) }, options));
  const metrics = Object.entries(r.metrics);
  if (metrics.length > 0 && r.tables.length === 0) {
    const shown = metrics
      .slice(0, 8)
      .map(([k, v]) => `${k} = ${formatNumber(v)}`)
      .join(', ');
    const more = metrics.length > 8 ? `, and ${metrics.length - 8} more in results.json` : '';
    out.push(wrap(`  key numbers: ${shown}${more}`, options.width ?? 100, 4));
  }
  return out.join('\n\n');
}
