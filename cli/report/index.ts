/**
 * Writing a run's report directory: index.html and results.json.
 */
import * as path from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import { makeDirectories } from '../out-dir.js';
import { renderReportHtml } from './html.js';
import { writeResults, type RunRecord } from './results.js';

export { renderReportHtml, renderTable } from './html.js';
export { renderSvgPlot } from './svg-plot.js';
export { escapeHtml } from './escape.js';
export * from './results.js';

export interface ReportPaths {
  dir: string;
  html: string;
  json: string;
}

/** Write both files, each atomically (a reader never sees a half-written file). */
export function writeReport(dir: string, record: RunRecord): ReportPaths {
  const problem = makeDirectories(dir);
  if (problem !== undefined) throw new Error(`cannot create the report directory ${dir}: ${problem}`);
  const html = path.join(dir, 'index.html');
  const json = path.join(dir, 'results.json');
  writeFileAtomic(html, renderReportHtml(record));
  writeResults(json, record);
  return { dir, html, json };
}
