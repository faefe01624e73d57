/**
 * Writing a run's report directory: index.html and results.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
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

export function writeReport(dir: string, record: RunRecord): ReportPaths {
  mkdirSync(dir, { recursive: true });
  const html = path.join(dir, 'index.html');
  const json = path.join(dir, 'results.json');
  writeFileSync(html, renderReportHtml(record));
  writeResults(json, record);
  return { dir, html, json };
}
