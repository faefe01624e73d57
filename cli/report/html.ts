/**
 * The report: one self-contained HTML page (inline CSS, inline SVG plots, no scripts, no network)
 * with a header describing the run and, per experiment, its plots, its tables and then the seed
 * paper's numbers, comments, settings and metrics. All text is escaped.
 */
import { renderImageGrid } from './image-grid.js';
import type { ExperimentResult, Table } from '../../experiments/types.js';
import { formatDuration, formatNumber } from '../format.js';
import { referenceTitle } from '../terminal-table.js';
import { escapeHtml as esc, safeId } from './escape.js';
import { displayMetric } from './never-reached.js';
import type { RunRecord } from './results.js';
import { renderSvgPlot } from './svg-plot.js';

// A backslash at a line's end continues it: the string holds no newline there.
const CSS = `
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; \
background: #fafafa; margin: 0; }
header, main, footer { max-width: 1100px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 18px; }
h1 { font-size: 26px; margin: 10px 0 4px; }
h1 .run { font-weight: normal; color: #666; font-size: 18px; }
h2 { font-size: 21px; margin: 0 0 4px; }
h3 { font-size: 16px; margin: 18px 0 6px; }
section.experiment { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 16px 20px; margin: 22px 0; }
.muted { color: #666; font-size: 13px; }
.warning { background: #fff4e0; border: 1px solid #f0b45a; border-radius: 4px; padding: 6px 10px; }
.error { background: #fdecec; border: 1px solid #e08080; border-radius: 4px; padding: 6px 10px; }
div.table { margin: 6px 0 14px; min-width: 0; }
.table-title { font-weight: 600; font-size: 13px; margin: 2px 0 4px; overflow-wrap: break-word; }
.table-scroll { overflow-x: auto; max-width: 100%; padding-bottom: 2px; }
.table-scroll::-webkit-scrollbar { height: 10px; }
.table-scroll::-webkit-scrollbar-track { background: #eee; border-radius: 5px; }
.table-scroll::-webkit-scrollbar-thumb { background: #aaa; border-radius: 5px; }
@supports not selector(::-webkit-scrollbar) { .table-scroll { scrollbar-color: #aaa #eee; } }
.table-scroll:focus-visible { outline: 2px solid #8ab4f8; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border-bottom: 1px solid #e2e2e2; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; font-weight: 600; min-width: 4em; }
td { max-width: 30em; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; \
font-family: ui-monospace, Menlo, Consolas, monospace; }
table.meta th { background: none; color: #555; font-weight: 600; }
.plots { display: flex; flex-direction: column; gap: 18px; }
figure { margin: 0; min-width: 0; }
figure h4 { margin: 6px 0 2px; font-size: 14px; }
figcaption { font-size: 13px; color: #444; max-width: 75em; }
svg.plot { display: block; width: 100%; height: auto; font-family: system-ui, sans-serif; }
.side { display: flex; flex-wrap: wrap; gap: 28px; }
.side .col { flex: 1 1 420px; min-width: 0; }
.side .col h3 { margin-top: 8px; }
.stack h3 { margin-top: 14px; }
nav ol { columns: 2; font-size: 14px; }
footer { color: #777; font-size: 12px; padding-bottom: 30px; }
code { font-size: 13px; background: #f0f0f0; padding: 1px 4px; border-radius: 3px; }
details { margin-top: 10px; }
summary { cursor: pointer; color: #444; }
`;

function paragraphs(text: string, cls?: string): string {
  const c = cls ? ` class="${cls}"` : '';
  return text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => `<p${c}>${esc(p)}</p>`)
    .join('\n');
}

/** A table's heading: its title, preceded by where its numbers come from when that is given. */
function tableTitle(t: Table): string {
  return t.source === undefined ? t.title : referenceTitle(t);
}

function cell(v: string | number | boolean | undefined): string {
  if (typeof v === 'number') return `<td class="num" title="${esc(String(v))}">${esc(formatNumber(v))}</td>`;
  return `<td>${esc(v === undefined ? '' : String(v))}</td>`;
}

/**
 * A table with its title above it (outside the table, so a long title wraps to the column's width
 * instead of being clipped with the table) and the table in its own horizontally scrolling box: cells
 * wrap first, and a table still too wide for the column scrolls inside that box with a visible
 * scrollbar, never past the page's edge. The box is focusable so the keyboard can scroll it too.
 */
export function renderTable(t: Table, cls = 'data'): string {
  const ncol = Math.max(t.columns.length, ...t.rows.map((r) => r.length));
  const head = Array.from({ length: ncol }, (_, j) => `<th>${esc(t.columns[j] ?? '')}</th>`).join('');
  const rows = t.rows.map((r) => `<tr>${Array.from({ length: ncol }, (_, j) => cell(r[j])).join('')}</tr>`).join('\n');
  const title = tableTitle(t);
  const heading = title ? `<p class="table-title">${esc(title)}</p>` : '';
  const label = esc(title || 'table');
  return (
    `<div class="table ${cls}">${heading}<div class="table-scroll" tabindex="0" role="region" ` +
    `aria-label="${label}"><table class="${cls}"><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody>` +
    '</table></div></div>'
  );
}

function keyValueTable(title: string, rec: Record<string, string | number | boolean>, cls = 'kv'): string {
  return renderTable(
    {
      title,
      columns: ['name', 'value'],
      rows: Object.entries(rec).map(([k, v]) => {
        const shown = displayMetric(k, v);
        return [k, typeof shown === 'boolean' ? String(shown) : shown];
      }),
    },
    cls,
  );
}

/** The warning for results whose rejection sampler hit its proposal cap (metrics.exhaustedSteps > 0). */
function exhaustionWarning(r: ExperimentResult): string | undefined {
  const steps = r.metrics.exhaustedSteps;
  if (!(typeof steps === 'number' && steps > 0)) return undefined;
  const count = `${esc(String(steps))} step${steps === 1 ? '' : 's'}`;
  return (
    `<p class="warning">The rejection sampler hit its proposal cap in ${count}: ` +
    'those steps used fewer accepted samples than asked for (biased), and a step where no data point had 2 accepted ' +
    'samples has a NaN bound. See the notes below.</p>'
  );
}

function experimentSection(r: ExperimentResult, index: number, stoppedBy: string): string {
  const id = `exp-${safeId(r.name)}`;
  const out: string[] = [];
  out.push(`<section class="experiment" id="${id}">`);
  out.push(`<h2>${index + 1}. ${esc(r.title)}</h2>`);
  out.push(
    `<p class="muted"><code>${esc(r.name)}</code> · ` +
      `${esc(formatDuration(r.seconds))}${r.interrupted ? ' · interrupted' : ''}</p>`,
  );
  if (r.interrupted) {
    out.push(
      `<p class="warning">Stopped early with ${esc(stoppedBy)}: the numbers below are what had been computed ` +
        'by then, not the finished experiment.</p>',
    );
  }
  const exhausted = exhaustionWarning(r);
  if (exhausted !== undefined) out.push(exhausted);
  out.push(paragraphs(r.summary, 'summary'));
  if (r.plots.length > 0) {
    out.push('<div class="plots">');
    r.plots.forEach((p, j) => {
      out.push(`<figure id="${id}-plot-${safeId(p.id)}">`);
      out.push(`<h4>${esc(p.title)}</h4>`);
      out.push(renderSvgPlot(p, { idPrefix: `e${index}p${j}` }));
      out.push(`<figcaption>${esc(p.caption)}</figcaption>`);
      out.push('</figure>');
    });
    out.push('</div>');
  }
  if (r.images !== undefined && r.images.length > 0) out.push(r.images.map((g) => renderImageGrid(g)).join('\n'));
  if (r.tables.length > 0 || r.references.length > 0) {
    // Stacked, not side by side: results tables are often wide, and each gets the full column.
    out.push('<div class="stack">');
    out.push('<div class="ours">');
    out.push('<h3>Our numbers</h3>');
    out.push(r.tables.length > 0 ? r.tables.map((t) => renderTable(t)).join('\n') : '<p class="muted">No tables.</p>');
    out.push('</div>');
    if (r.references.length > 0) {
      out.push('<div class="paper">');
      // Not all "the paper's": each title says where its numbers come from (a paper, or our own computation).
      out.push('<h3>Reference numbers</h3>');
      const titled = r.references.map((t) => ({ ...t, title: referenceTitle(t), source: undefined }));
      out.push(titled.map((t) => renderTable(t, 'data reference')).join('\n'));
      out.push('</div>');
    }
    out.push('</div>');
  }
  if (r.comments.length > 0) {
    out.push('<h3>Where we differ, and why</h3>');
    out.push(`<ul class="comments">${r.comments.map((c) => `<li>${esc(c)}</li>`).join('\n')}</ul>`);
  }
  const hasMetrics = Object.keys(r.metrics).length > 0;
  const hasSettings = Object.keys(r.settings).length > 0;
  if (hasMetrics || hasSettings) {
    out.push('<details><summary>Settings and key numbers</summary><div class="side">');
    if (hasSettings) out.push(`<div class="col">${keyValueTable('Settings used', r.settings)}</div>`);
    if (hasMetrics)
      out.push(`<div class="col">${keyValueTable('Key numbers (also in results.json)', r.metrics)}</div>`);
    out.push('</div></details>');
  }
  out.push('</section>');
  return out.join('\n');
}

/** The whole page. */
export function renderReportHtml(record: RunRecord): string {
  const { run } = record;
  const m = run.machine;
  const stoppedBy = run.stopSignal === 'SIGTERM' ? 'SIGTERM' : 'Ctrl-C';
  const meta: Record<string, string | number | boolean> = {
    command: `sieve ${run.argv.join(' ')}`.trim(),
    mode: run.mode,
    seed: run.seed,
    started: run.startedAt,
    duration: formatDuration(run.seconds),
    status: run.interrupted
      ? `interrupted (${stoppedBy}): partial results`
      : record.failures.length > 0
        ? `${record.failures.length} experiment(s) failed`
        : 'complete',
    machine: `${m.cpus} × ${m.cpuModel}, ${m.memoryGB} GB, ${m.platform} (${m.arch})`,
    'Node.js': m.node,
    kernels: m.kernels ?? 'not recorded',
    Sieve: run.sieveVersion,
    ...run.settings,
  };
  const out: string[] = [];
  out.push('<!DOCTYPE html>');
  out.push('<html lang="en">');
  out.push('<head>');
  out.push('<meta charset="utf-8">');
  out.push('<meta name="viewport" content="width=device-width, initial-scale=1">');
  out.push(`<title>Sieve report: ${esc(run.runName)}</title>`);
  out.push(`<style>${CSS}</style>`);
  out.push('</head>');
  out.push('<body>');
  out.push('<header>');
  out.push(`<h1>Sieve report <span class="run">${esc(run.runName)}</span></h1>`);
  out.push(
    '<p class="muted">Variational inference with rejection sampling, reproduced at small scale. Every plot ' +
      'and number on this page was computed by this run; the same command and seed give the same numbers.</p>',
  );
  out.push(keyValueTable('Run', meta, 'meta'));
  if (run.interrupted) {
    out.push(
      `<p class="warning">This run was stopped with ${stoppedBy}. Finished experiments are complete; the one ` +
        'running at the time shows partial results; later ones were skipped.</p>',
    );
  }
  if (record.experiments.length > 1) {
    const items = record.experiments.map(
      (r) => `<li><a href="#exp-${safeId(r.name)}">${esc(r.title)}</a>${r.interrupted ? ' (partial)' : ''}</li>`,
    );
    out.push(`<nav><ol>${items.join('')}</ol></nav>`);
  }
  out.push('</header>');
  out.push('<main>');
  if (record.experiments.length === 0) out.push('<p class="muted">No experiment produced results.</p>');
  record.experiments.forEach((r, i) => out.push(experimentSection(r, i, stoppedBy)));
  if (record.failures.length > 0) {
    out.push('<section class="experiment failures"><h2>Failed experiments</h2>');
    for (const f of record.failures)
      out.push(
        `<p class="error"><strong>${esc(f.title)}</strong> (<code>${esc(f.name)}</code>): ${esc(f.message)}</p>`,
      );
    out.push('</section>');
  }
  if (record.skipped.length > 0) {
    const names = record.skipped.map((s) => `<code>${esc(s)}</code>`).join(', ');
    out.push(`<p class="muted">Skipped after ${stoppedBy}: ${names}.</p>`);
  }
  out.push('</main>');
  out.push(
    `<footer>Generated by Sieve ${esc(run.sieveVersion)} on ${esc(run.startedAt)}. This page is ` +
      'self-contained: no scripts, no network requests; the machine-readable numbers are in results.json next to ' +
      'it.</footer>',
  );
  out.push('</body>');
  out.push('</html>');
  return `${out.join('\n')}\n`;
}
