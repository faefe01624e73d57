/**
 * Progress bars on stderr. On a TTY one line is redrawn in place (at most ~12 times a second):
 *
 *   vrs diagnostic  [█████████░░░░░░░░░░░]  450/1000  212 it/s  ETA 3s  bound -91.3
 *
 * Elsewhere (CI, pipes, tests) a plain line is printed when another ~10% is done or ~5 s have
 * passed since the last line, and once at the end, so logs never flood.
 */
import type { ProgressTask } from '../experiments/types.js';
import { formatDuration, formatNumber } from './format.js';
import type { OutStream } from './io.js';

export interface ProgressOptions {
  /** Redraw in place (default: stream.isTTY). */
  tty?: boolean;
  /** Milliseconds clock (default performance.now). */
  now?: () => number;
  /** Line width for the TTY bar (default stream.columns or 100). */
  width?: number;
  /** Non-TTY: print at most every this fraction of the total (default 0.1)... */
  fraction?: number;
  /** ...or after this many milliseconds without a line (default 5000). */
  intervalMs?: number;
  /** TTY: minimum milliseconds between redraws (default 80). */
  redrawMs?: number;
}

function formatInfo(info: Record<string, number | string> | undefined): string {
  if (info === undefined) return '';
  return Object.entries(info)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? formatNumber(v) : v}`)
    .join('  ');
}

function formatRate(rate: number): string {
  if (!Number.isFinite(rate) || rate <= 0) return '- it/s';
  if (rate >= 1) return `${formatNumber(rate, 3)} it/s`;
  return `${formatNumber(1 / rate, 3)} s/it`;
}

/** Owns one stream: creates tasks, and prints log lines without breaking an active bar. */
export class ProgressRenderer {
  private readonly tty: boolean;
  private readonly now: () => number;
  private readonly opts: Required<Pick<ProgressOptions, 'fraction' | 'intervalMs' | 'redrawMs'>>;
  private active: Task | null = null;
  /** Whether a bar is currently drawn on the last line (TTY). */
  private drawn = false;

  constructor(
    private readonly stream: OutStream,
    options: ProgressOptions = {},
  ) {
    this.tty = options.tty ?? stream.isTTY === true;
    this.now = options.now ?? (() => performance.now());
    this.width = options.width;
    this.opts = {
      fraction: options.fraction ?? 0.1,
      intervalMs: options.intervalMs ?? 5000,
      redrawMs: options.redrawMs ?? 80,
    };
  }

  private readonly width: number | undefined;

  /** Start a task; an unfinished previous task is finished first. */
  task(label: string, total: number): ProgressTask {
    this.active?.finish();
    const t = new Task(this, label, Number.isFinite(total) && total > 0 ? Math.floor(total) : 0, this.now());
    this.active = t;
    return t;
  }

  /** Print a line (commentary); on a TTY the bar is cleared and redrawn below it. */
  log(message: string): void {
    this.clearBar();
    this.stream.write(`${message}\n`);
    if (this.tty && this.active !== null && !this.active.finished) this.active.render(true);
  }

  /** Finish any active task (e.g. when a run ends). */
  close(): void {
    this.active?.finish();
    this.active = null;
  }

  // ---- used by Task ----

  /** @internal */
  clock(): number {
    return this.now();
  }

  /** @internal */
  get isTty(): boolean {
    return this.tty;
  }

  /** @internal */
  get settings(): Required<Pick<ProgressOptions, 'fraction' | 'intervalMs' | 'redrawMs'>> {
    return this.opts;
  }

  /** @internal */
  lineWidth(): number {
    return Math.max(40, (this.width ?? this.stream.columns ?? 100) - 1);
  }

  /** @internal */
  drawBar(line: string): void {
    this.stream.write(`\r\x1b[2K${line}`);
    this.drawn = true;
  }

  /** @internal */
  printLine(line: string): void {
    this.clearBar();
    this.stream.write(`${line}\n`);
  }

  /** @internal */
  taskDone(t: Task): void {
    if (this.active === t) this.active = null;
  }

  private clearBar(): void {
    if (this.tty && this.drawn) {
      this.stream.write('\r\x1b[2K');
      this.drawn = false;
    }
  }
}

class Task implements ProgressTask {
  done = 0;
  finished = false;
  private info: Record<string, number | string> | undefined;
  private lastDraw = -Infinity;
  private lastPrintTime: number;
  private lastPrintDone = 0;

  constructor(
    private readonly r: ProgressRenderer,
    private readonly label: string,
    private readonly total: number,
    private readonly start: number,
  ) {
    this.lastPrintTime = start;
    if (r.isTty) this.render(true);
  }

  update(done: number, info?: Record<string, number | string>): void {
    if (this.finished) return;
    this.done = Math.max(0, this.total > 0 ? Math.min(done, this.total) : done);
    if (info !== undefined) this.info = info;
    const now = this.r.clock();
    if (this.r.isTty) {
      if (now - this.lastDraw >= this.r.settings.redrawMs) this.render(false);
      return;
    }
    const step = this.total > 0 ? this.total * this.r.settings.fraction : Infinity;
    const byCount = this.done - this.lastPrintDone >= step;
    const byTime = now - this.lastPrintTime >= this.r.settings.intervalMs;
    if ((byCount || byTime) && this.done < this.total) {
      this.lastPrintTime = now;
      this.lastPrintDone = this.done;
      this.r.printLine(this.plainLine(now));
    }
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    const now = this.r.clock();
    const seconds = (now - this.start) / 1000;
    const info = formatInfo(this.info);
    const count = this.total > 0 ? `${this.done}/${this.total}` : `${this.done}`;
    const stopped = this.total > 0 && this.done < this.total ? ' (stopped early)' : '';
    this.r.printLine(`${this.label}: ${count} in ${formatDuration(seconds)}${stopped}${info ? `  ${info}` : ''}`);
    this.r.taskDone(this);
  }

  private rate(now: number): number {
    const s = (now - this.start) / 1000;
    return s > 0 ? this.done / s : 0;
  }

  private eta(now: number): string {
    const rate = this.rate(now);
    if (this.total === 0 || rate <= 0) return 'ETA ?';
    return `ETA ${formatDuration((this.total - this.done) / rate)}`;
  }

  private plainLine(now: number): string {
    const pct = this.total > 0 ? ` (${Math.floor((100 * this.done) / this.total)}%)` : '';
    const info = formatInfo(this.info);
    return (
      `${this.label}: ${this.done}/${this.total || '?'}${pct}  ${formatRate(this.rate(now))}  ` +
      `${this.eta(now)}${info ? `  ${info}` : ''}`
    );
  }

  /** @internal Redraw the TTY bar. */
  render(force: boolean): void {
    const now = this.r.clock();
    if (!force && now - this.lastDraw < this.r.settings.redrawMs) return;
    this.lastDraw = now;
    const width = this.r.lineWidth();
    const frac = this.total > 0 ? this.done / this.total : 0;
    const count = `${this.done}/${this.total || '?'}`;
    const info = formatInfo(this.info);
    const tail = `  ${count}  ${formatRate(this.rate(now))}  ${this.eta(now)}${info ? `  ${info}` : ''}`;
    const label = this.label.length > 28 ? `${this.label.slice(0, 27)}…` : this.label;
    const barWidth = Math.max(10, Math.min(30, width - label.length - tail.length - 4));
    const filled = Math.round(frac * barWidth);
    const bar = `[${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}]`;
    let line = `${label} ${bar}${tail}`;
    if (line.length > width) line = line.slice(0, width);
    this.r.drawBar(line);
  }
}
