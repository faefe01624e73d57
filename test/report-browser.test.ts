// The experiment report as a reader sees it: `sieve experiments --tiny` writes a report, headless
// Chromium opens it at 1280 × 800, and the page must show no console errors, never scroll sideways
// as a whole, show every table either whole or inside its own box with a visible scrollbar, never
// clip a table title, and draw every plot across its column. A full-page screenshot goes to a temp
// folder for a human to look at (it is not kept in the repository). Without /usr/bin/chromium this
// test fails (it does not skip), like test/browser.test.ts.
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { main } from '../cli/main.js';
import { EXPERIMENTS } from '../experiments/index.js';
import type { Experiment, ExperimentResult } from '../experiments/types.js';
import { CHROMIUM_PATH, launchChromium } from './browser/harness.js';
import { fakeIo, tmpDir } from './helpers/cli-fakes.js';

const WIDTH = 1280;
const HEIGHT = 800;

/**
 * Beside the real experiments, one whose table cannot fit any column (40 numeric columns) and whose
 * title is one long run of text: the layout must scroll the table in its own box and wrap the title.
 */
const tooWide: Experiment = {
  name: 'too-wide',
  title: 'A table wider than the page',
  description: 'layout check for the report test',
  async run(): Promise<ExperimentResult> {
    const columns = Array.from({ length: 40 }, (_, j) => `column number ${j + 1}`);
    return {
      name: 'too-wide',
      title: 'A table wider than the page',
      summary: 'Forty columns of numbers.',
      seconds: 0,
      interrupted: false,
      plots: [],
      tables: [
        {
          title: `Forty columns: ${'a-very-long-title-word-'.repeat(12)}end`,
          columns,
          rows: [columns.map((_, j) => 123456.789 * (j + 1))],
        },
      ],
      references: [],
      comments: [],
      settings: {},
      metrics: {},
    };
  },
};

let browser: Browser | undefined;
let dir = '';

beforeAll(async () => {
  dir = tmpDir();
  const out = path.join(dir, 'report');
  const code = await main(['experiments', '--tiny', '--out', out], fakeIo().io, {
    experiments: [...EXPERIMENTS, tooWide],
  });
  if (code !== 0) throw new Error(`sieve experiments --tiny exited with ${code}`);
  // Playwright hides scrollbars in headless Chromium by default; a reader's browser shows them, and
  // this test checks that a wide table's scrollbar takes room on screen, so keep them. launchChromium
  // first, for its clear error when Chromium is missing.
  await (await launchChromium()).close();
  browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--no-sandbox'],
    ignoreDefaultArgs: ['--hide-scrollbars'],
  });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  if (process.env.SIEVE_KEEP_REPORT_SCREENSHOT === undefined && dir !== '') rmSync(dir, { recursive: true });
});

/** What the page measures about itself (all in CSS pixels). */
interface Layout {
  scrollWidth: number;
  clientWidth: number;
  /** Tables whose right edge is hidden without a scrollable box of their own that shows a scrollbar. */
  cutTables: string[];
  /** Table titles wider than the box that shows them. */
  clippedTitles: string[];
  /** Plot widths divided by the width of the element that holds them. */
  plotFill: number[];
  tables: number;
  scrollingTables: number;
}

describe('the experiment report in headless Chromium at 1280 px', () => {
  it('has no console errors, no page overflow, every table column reachable, and full-width plots', async () => {
    const page = await browser!.newPage({ viewport: { width: WIDTH, height: HEIGHT } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
    await page.goto(`file://${path.join(dir, 'report', 'index.html')}`);
    // The key-number tables sit in closed <details>: open them so they are laid out and measured too.
    await page.evaluate(() => {
      for (const d of Array.from(document.querySelectorAll('details'))) d.open = true;
    });
    const layout: Layout = await page.evaluate(() => {
      const root = document.documentElement;
      const describeTable = (t: Element): string =>
        (t.closest('.table')?.querySelector('.table-title')?.textContent ?? t.textContent ?? '').slice(0, 80);
      const cutTables: string[] = [];
      let scrollingTables = 0;
      const tables = Array.from(document.querySelectorAll('table'));
      for (const t of tables) {
        const right = t.getBoundingClientRect().right;
        // The nearest ancestor that clips horizontally (or the viewport).
        let clip: Element | null = t.parentElement;
        while (clip !== null && getComputedStyle(clip).overflowX === 'visible') clip = clip.parentElement;
        const boxRight =
          clip === null || clip === document.body ? root.clientWidth : clip.getBoundingClientRect().right;
        if (right <= boxRight + 0.5 && right <= root.clientWidth + 0.5) continue;
        // Hidden on the right: allowed only in its own scroll box whose scrollbar takes visible room.
        const box = clip instanceof HTMLElement && clip !== document.body ? clip : null;
        if (box === null || !box.classList.contains('table-scroll')) {
          cutTables.push(describeTable(t));
          continue;
        }
        const scrolls = ['auto', 'scroll'].includes(getComputedStyle(box).overflowX);
        const scrollbarShown = box.offsetHeight - box.clientHeight > 0;
        const boxVisible = box.getBoundingClientRect().right <= root.clientWidth + 0.5;
        if (scrolls && scrollbarShown && boxVisible) scrollingTables++;
        else cutTables.push(describeTable(t));
      }
      const clippedTitles: string[] = [];
      for (const c of Array.from(document.querySelectorAll('caption, .table-title'))) {
        const el = c as HTMLElement;
        const r = el.getBoundingClientRect();
        if (el.scrollWidth > el.clientWidth + 1 || r.right > root.clientWidth + 0.5) {
          clippedTitles.push((el.textContent ?? '').slice(0, 80));
        }
      }
      const plotFill = Array.from(document.querySelectorAll('svg.plot')).map(
        (s) => s.getBoundingClientRect().width / (s.parentElement as HTMLElement).getBoundingClientRect().width,
      );
      return {
        scrollWidth: root.scrollWidth,
        clientWidth: root.clientWidth,
        cutTables,
        clippedTitles,
        plotFill,
        tables: tables.length,
        scrollingTables,
      };
    });
    const shot = path.join(dir, 'report-1280.png');
    await page.screenshot({ path: shot, fullPage: true });
    await page.close();
    console.log(`report screenshot: ${shot} (${layout.tables} tables, ${layout.scrollingTables} scroll in a box)`);

    expect(errors).toEqual([]);
    // The page's width less its vertical scrollbar (15 px in Chromium on Linux).
    expect(layout.clientWidth).toBeGreaterThanOrEqual(WIDTH - 20);
    expect(layout.scrollWidth, 'the page scrolls sideways').toBeLessThanOrEqual(layout.clientWidth);
    expect(layout.tables).toBeGreaterThan(10);
    expect(layout.cutTables, 'tables cut off on the right').toEqual([]);
    expect(layout.scrollingTables, 'the 40-column table scrolls in its box').toBeGreaterThanOrEqual(1);
    expect(layout.clippedTitles, 'table titles clipped').toEqual([]);
    expect(layout.plotFill.length).toBeGreaterThan(5);
    // Each plot spans its figure's width (an SVG 680 px wide in a ~1000 px column fills ~0.68).
    for (const fill of layout.plotFill) expect(fill).toBeGreaterThan(0.98);
  }, 300_000);
});
