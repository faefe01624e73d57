/**
 * The report: SVG plots (axes, ticks, bands, escaping), the self-contained HTML page (checked by a
 * strict well-formedness checker), results.json round trips, terminal tables and progress bars.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatNumber } from '../cli/format.js';
import { ProgressRenderer } from '../cli/progress.js';
import {
  parseResults,
  readResults,
  renderReportHtml,
  serializeResults,
  writeReport,
  type RunRecord,
} from '../cli/report/index.js';
import { formatTick, formatTicks, linearAxis, logAxis, niceStep, renderSvgPlot } from '../cli/report/svg-plot.js';
import { makeRecord } from '../cli/run.js';
import { formatExperimentSummary, formatTable } from '../cli/terminal-table.js';
import type { ExperimentResult, Plot } from '../experiments/types.js';
import { checkHtml } from './helpers/cli-html-check.js';
import { fakeExperiment, fakeIo, tmpDir } from './helpers/cli-fakes.js';

async function fakeResult(name = 'alpha', seed = 1): Promise<ExperimentResult> {
  const f = fakeIo();
  return fakeExperiment(name).run({
    seed,
    mode: 'tiny',
    progress: () => ({ update() {}, finish() {} }),
    shouldStop: () => false,
    log: (m) => f.io.stderr.write(m),
  });
}

async function fakeRecord(): Promise<RunRecord> {
  return makeRecord({
    command: 'experiments',
    argv: ['experiments', '--tiny'],
    runName: 'test <run>',
    mode: 'tiny',
    seed: 1,
    startedAt: new Date('2025-01-02T03:04:05Z'),
    seconds: 1.5,
    interrupted: false,
    experiments: [await fakeResult('alpha'), await fakeResult('beta', 2)],
    failures: [{ name: 'gamma', title: 'Gamma & co', message: 'exploded <badly>' }],
    settings: { experiments: 'alpha, beta' },
  });
}

describe('axes and ticks', () => {
  it('chooses nice steps and covers the data', () => {
    expect(niceStep(10, 5)).toBe(2);
    expect(niceStep(1, 4)).toBe(0.25);
    expect(niceStep(0.07, 5)).toBeCloseTo(0.02, 12);
    const a = linearAxis(-91.3, -88.2, 5);
    expect(a.lo).toBeLessThanOrEqual(-91.3);
    expect(a.hi).toBeGreaterThanOrEqual(-88.2);
    expect(a.ticks[0]).toBe(a.lo);
    expect(a.ticks.at(-1)).toBe(a.hi);
    expect(a.ticks).toEqual([-92, -91, -90, -89, -88]);
    expect(linearAxis(0.1, 0.3, 5).ticks).toEqual([0.1, 0.15, 0.2, 0.25, 0.3]);
    const flat = linearAxis(5, 5);
    expect(flat.lo).toBeLessThan(5);
    expect(flat.hi).toBeGreaterThan(5);
  });

  it('uses decades on log axes and 1-2-5 ticks inside a decade', () => {
    expect(logAxis(1, 1000).ticks).toEqual([1, 10, 100, 1000]);
    const wide = logAxis(0.003, 70);
    // Decades, plus the data's ends (below the lowest decade, above the highest) so that they are labelled.
    expect(wide.ticks).toEqual([0.003, 0.01, 0.1, 1, 10, 70]);
    expect(wide.lo).toBeLessThanOrEqual(0.003);
    expect(wide.hi).toBeGreaterThanOrEqual(70);
    expect(logAxis(10, 300).ticks).toEqual([10, 20, 50, 100, 200, 300]);
    // The smallest value gets a label below 0.1; an end that is near a tick adds none.
    expect(logAxis(0.031, 8.8).ticks).toEqual([0.031, 0.1, 1, 10]);
    expect(logAxis(1, 1000).ticks).toEqual([1, 10, 100, 1000]);
    expect(logAxis(1e-8, 1e8).ticks.length).toBeLessThanOrEqual(10);
    const inner = logAxis(1.5, 6);
    expect(inner.ticks).toEqual([2, 3, 4, 5, 6]);
    expect(inner.ticks.length).toBeGreaterThanOrEqual(2);
    expect(logAxis(0.3, 0.5).ticks.length).toBeGreaterThanOrEqual(2);
  });

  it('formats ticks compactly', () => {
    expect(formatTick(0)).toBe('0');
    expect(formatTick(0.30000000000000004)).toBe('0.3');
    expect(formatTick(1500)).toBe('1500');
    expect(formatTick(1e-4)).toBe('1e-4');
    expect(formatTick(2e6)).toBe('2e6');
    expect(formatTicks([10, 1000, 1e5])).toEqual(['1e1', '1e3', '1e5']);
    expect(formatTicks([0, 0.5, 1])).toEqual(['0', '0.5', '1']);
    expect(formatNumber(-91.2345)).toBe('-91.23');
    expect(formatNumber(0.000123456)).toBe('1.235e-4');
    expect(formatNumber(NaN)).toBe('NaN');
  });
});

describe('SVG plots', () => {
  const plot: Plot = {
    id: 'p<1>',
    title: 'A & B',
    xLabel: 'x <in>',
    yLabel: 'y',
    caption: 'c',
    series: [
      { name: 's<1>', x: [1, 2, 3, 4, 5], y: [1, NaN, 3, 4, 5], band: [0.1, 0.1, 0.1, 0.1, 0.1] },
      { name: 'second & "quoted"', x: [1, 5], y: [2, 2] },
    ],
  };

  it('draws one path per series, splits lines at non-finite points, and escapes text', () => {
    const svg = renderSvgPlot(plot);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<path class="series"/g)).toHaveLength(2);
    expect(svg).toContain('data-series="s&lt;1&gt;"');
    expect(svg).toContain('second &amp; &quot;quoted&quot;');
    const d = /data-series="s&lt;1&gt;" d="([^"]*)"/.exec(svg)![1];
    expect(d.match(/M/g)).toHaveLength(2); // [1] and [3, 4, 5]
    expect(svg).toContain('<polygon class="band"');
    expect(svg).not.toMatch(/NaN|Infinity/);
    checkHtml(`<!DOCTYPE html><html><head></head><body>${svg}</body></html>`);
  });

  it("draws a lone point's band as an error bar spanning y ± band", () => {
    const svg = renderSvgPlot({
      ...plot,
      series: [
        { name: 'line', x: [1, 10], y: [0, 1] },
        { name: 'lone', x: [5], y: [0.5], band: [0.25] },
      ],
    });
    const d = /<path class="errorbar" d="M([\d.]+),([\d.]+)V([\d.]+)/.exec(svg);
    expect(d).not.toBeNull();
    // The y axis runs from 0 (bottom) to 1 (top) here, so the bar covers a quarter each way of the middle.
    const frame = /<rect class="frame" x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"/.exec(svg)!;
    const [top, height] = [Number(frame[1]), Number(frame[2])];
    expect(Number(d![2])).toBeCloseTo(top + 0.75 * height, 1);
    expect(Number(d![3])).toBeCloseTo(top + 0.25 * height, 1);
  });

  it('drops non-positive values on log axes and survives empty data', () => {
    const svg = renderSvgPlot({
      ...plot,
      yLog: true,
      xLog: true,
      series: [{ name: 'a', x: [0, 1, 10, 100], y: [1, -1, 2, 3] }],
    });
    expect(svg).not.toMatch(/NaN|Infinity/);
    const empty = renderSvgPlot({ ...plot, series: [{ name: 'none', x: [], y: [] }] });
    expect(empty).toContain('no finite data');
    expect(empty).not.toMatch(/NaN|Infinity/);
  });

  it('scales to its container: width 100% and a viewBox, no fixed pixel width', () => {
    const svg = renderSvgPlot(plot);
    const open = /^<svg [^>]*>/.exec(svg)![0];
    expect(open).toContain('width="100%"');
    expect(open).toMatch(/viewBox="0 0 \d+ \d+"/);
    expect(open).not.toMatch(/ height=/);
  });

  it('pads the clip rectangle so that markers on the frame are drawn whole', () => {
    const svg = renderSvgPlot({ ...plot, series: [{ name: 'edge', x: [0, 10], y: [0, 10, 5].slice(0, 2) }] });
    const num = (re: RegExp): number[] => re.exec(svg)!.slice(1).map(Number);
    const [fx, fy, fw, fh] = num(/class="frame" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/);
    const [cx, cy, cw, ch] = num(/<clipPath [^>]*><rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/);
    const withMarkers = renderSvgPlot({ ...plot, series: [{ name: 'pts', x: [0, 5, 10], y: [0, 5, 10] }] });
    const r = Number(/<circle [^>]*r="([\d.]+)"/.exec(withMarkers)![1]);
    // A marker centred on a frame edge reaches r outside it (plus half a hollow marker's stroke).
    expect(fx - cx).toBeGreaterThanOrEqual(r);
    expect(fy - cy).toBeGreaterThanOrEqual(r);
    expect(cx + cw - (fx + fw)).toBeGreaterThanOrEqual(r);
    expect(cy + ch - (fy + fh)).toBeGreaterThanOrEqual(r);
  });

  it('draws reference series dashed with hollow markers, under ours, and says so in the legend', () => {
    const svg = renderSvgPlot({
      ...plot,
      series: [
        { name: 'ours', x: [1, 2, 3], y: [1, 2, 3] },
        { name: 'theirs', x: [1, 2, 3], y: [1.1, 2.1, 3.1], reference: true },
      ],
    });
    const ours = /<path class="series" data-series="ours"[^>]*>/.exec(svg)![0];
    const theirs = /<path class="series" data-series="theirs"[^>]*>/.exec(svg)![0];
    expect(ours).not.toContain('stroke-dasharray');
    expect(theirs).toContain('stroke-dasharray');
    expect(svg.indexOf(theirs)).toBeLessThan(svg.indexOf(ours));
    const markers = [...svg.matchAll(/<g class="markers( hollow)?">(.*?)<\/g>/g)];
    expect(markers.map((m) => m[1] === ' hollow')).toEqual([true, false]);
    expect(markers[0][2]).toMatch(/^(<circle [^>]*fill="#fff" stroke="#[0-9a-f]+"[^>]*\/>){3}$/);
    expect(markers[1][2]).not.toContain('fill="#fff"');
    const legend = /<g class="legend">(.*?)<\/g>/.exec(svg)![1];
    expect(legend.match(/stroke-dasharray/g)).toHaveLength(1);
    expect(legend.match(/<circle [^>]*fill="#fff"/g)).toHaveLength(1);
  });

  it('keeps long series small', () => {
    const n = 20000;
    const x = Array.from({ length: n }, (_, i) => i);
    const svg = renderSvgPlot({ ...plot, series: [{ name: 'long', x, y: x.map((v) => Math.sin(v / 100)) }] });
    expect(svg.length).toBeLessThan(60_000);
  });
});

describe('the HTML report', () => {
  it('is well formed, self-contained, escaped, with one <svg> per plot and the series paths', async () => {
    const record = await fakeRecord();
    const html = renderReportHtml(record);
    const { counts, elements } = checkHtml(html);
    const nPlots = record.experiments.reduce((a, e) => a + e.plots.length, 0);
    const nSeries = record.experiments.reduce((a, e) => a + e.plots.reduce((b, p) => b + p.series.length, 0), 0);
    expect(counts.get('svg')).toBe(nPlots);
    expect(html.match(/<svg /g)).toHaveLength(nPlots);
    const paths = elements.filter((e) => e.name === 'path' && e.attrs.get('class') === 'series');
    expect(paths).toHaveLength(nSeries);
    for (const p of paths) expect(p.attrs.get('d')).toMatch(/^M[\d.-]+,[\d.-]+/);
    expect(paths.map((p) => p.attrs.get('data-series'))).toContain('ours &lt;1&gt;');
    expect(counts.get('script') ?? 0).toBe(0);
    // Ours, then the reference numbers, comments, the failure, the run header.
    expect(html).toContain('Reference numbers');
    expect(html).toContain('Paper Table 1');
    expect(html).toContain('We use 20 steps, not 10^6 &lt;sic&gt;.');
    expect(html).toContain('exploded &lt;badly&gt;');
    expect(html).toContain('Fake &lt;alpha&gt; &amp; &quot;friends&quot;');
    expect(html).toContain('test &lt;run&gt;');
    expect(html).not.toContain('<b>markup</b>');
  });

  it('writes "never" for a count-to-reach metric of -1, other numbers as they are; JSON stays numeric', async () => {
    const record = await fakeRecord();
    record.experiments[0].metrics = {
      vimcoSamplesTo005Below: -1,
      lr01SamplesTo005: -1,
      stepsToTarget: 120,
      offsetOfMinusOne: -1,
    };
    const html = renderReportHtml(record);
    const row = (name: string): string => new RegExp(`<tr><td>${name}</td>(<td[^>]*>[^<]*</td>)</tr>`).exec(html)![1];
    expect(row('vimcoSamplesTo005Below')).toBe('<td>never</td>');
    expect(row('lr01SamplesTo005')).toBe('<td>never</td>');
    expect(row('stepsToTarget')).toContain('>120<');
    expect(row('offsetOfMinusOne')).toContain('>-1<');
    expect(parseResults(serializeResults(record)).experiments[0].metrics.vimcoSamplesTo005Below).toBe(-1);
  });

  it('puts each table in its own scroll box, with its title outside the table so that it wraps', async () => {
    const html = renderReportHtml(await fakeRecord());
    const boxes = html.match(/<div class="table-scroll"[^>]*><table /g) ?? [];
    expect(boxes.length).toBeGreaterThan(0);
    expect(boxes.length).toBe(html.match(/<table /g)!.length);
    expect(html).not.toContain('<caption');
    expect(html).toMatch(/<p class="table-title">Paper: Paper Table 1/);
    expect(html).toMatch(/\.table-scroll \{ overflow-x: auto;/);
  });

  it('the checker rejects what it should', () => {
    const ok = (body: string): string => `<!DOCTYPE html><html><head></head><body>${body}</body></html>`;
    expect(() => checkHtml(ok('<p>fine &amp; dandy<br></p>'))).not.toThrow();
    expect(() => checkHtml(ok('<p><b>x</p></b>'))).toThrow(/closes/);
    expect(() => checkHtml(ok('<p>x'))).toThrow(/<\/body> closes <p>/);
    expect(() => checkHtml('<!DOCTYPE html><html><head></head><body><p>x')).toThrow(/unclosed/);
    expect(() => checkHtml(ok('<p>a < b</p>'))).toThrow(/stray|unescaped/);
    expect(() => checkHtml(ok('<p>a & b</p>'))).toThrow(/bare '&'/);
    expect(() => checkHtml(ok('<script src="x.js"></script>'))).toThrow(/script src/);
    expect(() => checkHtml(ok('<img src="https://example.com/a.png">'))).toThrow(/external/);
    expect(() => checkHtml(ok('<a href="http://x">x</a>'))).toThrow(/external/);
    expect(() => checkHtml(ok('<div style="background: url(https://x/y)"></div>'))).toThrow(/external/);
    expect(() => checkHtml(ok('<p class="a" class="b"></p>'))).toThrow(/duplicate/);
    expect(() => checkHtml(ok('<br></br>'))).toThrow(/void/);
  });
});

describe('results.json', () => {
  it('round-trips: write, read, deep equal (NaN, ±Infinity and -0 included)', async () => {
    const record = await fakeRecord();
    record.experiments[0].metrics.negZero = -0;
    record.experiments[0].metrics.posInf = Infinity;
    const dir = tmpDir();
    const paths = writeReport(path.join(dir, 'run'), record);
    const back = readResults(paths.json);
    expect(back).toEqual(record);
    expect(Number.isNaN(back.experiments[0].metrics.nan)).toBe(true);
    expect(Object.is(back.experiments[0].metrics.negZero, -0)).toBe(true);
    expect(back.experiments[0].metrics.inf).toBe(-Infinity);
    expect(serializeResults(back)).toBe(readFileSync(paths.json, 'utf8'));
    checkHtml(readFileSync(paths.html, 'utf8'));
  });

  it('refuses files that are not Sieve results', () => {
    expect(() => parseResults('{')).toThrow(/not valid JSON/);
    expect(() => parseResults('{"format": "other"}')).toThrow(/not a Sieve results file/);
    expect(() => parseResults('{"format": "sieve-results", "version": 99}')).toThrow(/unsupported results version 99/);
  });
});

describe('terminal output', () => {
  it('formats tables with aligned numbers', () => {
    const t = formatTable({
      title: 'T',
      columns: ['name', 'value'],
      rows: [
        ['a', 1.23456],
        ['longer name', -1000.5],
      ],
    });
    const lines = t.split('\n');
    expect(lines[0]).toBe('  T');
    expect(lines[2]).toMatch(/─/);
    expect(lines[3]).toBe('  a            1.235');
    expect(lines[4]).toBe('  longer name  -1001');
  });

  it("labels each reference table by its source, never calling our own computations the paper's", () => {
    const table = (title: string, source?: string) => ({ title, source, columns: ['a'], rows: [[1]] });
    const result: ExperimentResult = {
      name: 'x',
      title: 'X',
      summary: '',
      plots: [],
      tables: [],
      references: [table('Table 1', 'paper'), table('SNR table', 'our reference computation'), table('Exact values')],
      comments: [],
      metrics: {},
      settings: {},
      interrupted: false,
      seconds: 1,
    };
    const lines = formatExperimentSummary(result).split('\n');
    expect(lines).toContain('  Paper: Table 1');
    expect(lines).toContain('  Our reference computation: SNR table');
    expect(lines).toContain('  Reference, source not stated: Exact values');
    expect(lines.filter((l) => l.includes('Paper:'))).toHaveLength(1);
  });

  it('non-TTY progress prints at most about every 10% and at the end', () => {
    let out = '';
    let clock = 0;
    const r = new ProgressRenderer({ write: (s: string) => (out += s) }, { tty: false, now: () => clock });
    const task = r.task('train', 1000);
    for (let i = 1; i <= 1000; i++) {
      clock += 1;
      task.update(i, { bound: -i });
    }
    task.finish();
    const lines = out.trim().split('\n');
    expect(lines.length).toBeLessThanOrEqual(11);
    expect(lines.length).toBeGreaterThanOrEqual(9);
    expect(lines[0]).toMatch(/^train: 100\/1000 \(10%\) {2}1000 it\/s {2}ETA 0\.9s {2}bound -100$/);
    expect(lines.at(-1)).toMatch(/^train: 1000\/1000 in 1\.0s {2}bound -1000$/);
    expect(out).not.toContain('\r');
  });

  it('non-TTY progress also prints after ~5 s without a line', () => {
    let out = '';
    let clock = 0;
    const r = new ProgressRenderer({ write: (s: string) => (out += s) }, { tty: false, now: () => clock });
    const task = r.task('slow', 10_000);
    for (let i = 1; i <= 30; i++) {
      clock += 1000;
      task.update(i);
    }
    expect(out.trim().split('\n')).toHaveLength(6); // at 5, 10, ..., 30 s
  });

  it('TTY progress redraws one line in place, throttled, and logs above it', () => {
    let out = '';
    let clock = 0;
    const r = new ProgressRenderer(
      { write: (s: string) => (out += s), isTTY: true, columns: 120 },
      { now: () => clock },
    );
    const task = r.task('train', 100);
    for (let i = 1; i <= 100; i++) {
      clock += 10;
      task.update(i, { bound: -91.25 });
    }
    r.log('a message');
    task.finish();
    const draws = out.split('\r\x1b[2K').filter((s) => s.includes('['));
    expect(draws.length).toBeGreaterThan(5);
    expect(draws.length).toBeLessThan(20);
    expect(out).toMatch(/train \[█+░*\] {2}\d+\/100 {2}\d+ it\/s {2}ETA [\d.]+s {2}bound -91\.25/);
    expect(out).toContain('a message\n');
    expect(out.trimEnd().endsWith('train: 100/100 in 1.0s  bound -91.25')).toBe(true);
  });
});
