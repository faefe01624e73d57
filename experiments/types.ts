/**
 * The contract between the `sieve` CLI and the experiments it runs. An experiment is a plain
 * object with a `run(context)` that returns numbers, tables and plot data; the CLI owns the
 * terminal (progress bars, summaries) and the report (HTML with inline SVG, results.json).
 * Experiments never print directly and never write files.
 */

/**
 * How long to run: 'tiny' for the test suite (seconds), 'quick' for `npm start` (all of them
 * within a few minutes on 2 cores, one seed), 'standard' (each experiment within about 15 minutes
 * on 2 cores, long enough to check the papers' orderings, several seeds), 'full' for the longer
 * versions (at least 3 seeds for every comparison).
 */
export type RunMode = 'tiny' | 'quick' | 'standard' | 'full';

export interface ProgressTask {
  /** Advance to `done` of `total` steps; `info` is shown beside the bar (e.g. { bound: -91.3 }). */
  update(done: number, info?: Record<string, number | string>): void;
  finish(): void;
}

export interface RunContext {
  seed: number;
  mode: RunMode;
  /** Start a progress bar for a loop of `total` steps. */
  progress(label: string, total: number): ProgressTask;
  /** True once the user pressed Ctrl-C: stop early and return what has been computed. */
  shouldStop(): boolean;
  /** A line of commentary for the terminal (not the report). */
  log(message: string): void;
}

export interface Series {
  name: string;
  x: number[];
  y: number[];
  /** Optional ± band (same length as y), e.g. standard errors. */
  band?: number[];
  /** Numbers not from this run (a paper's, or an exact/float64 reference): drawn dashed with hollow markers. */
  reference?: boolean;
}

export interface Plot {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  xLog?: boolean;
  yLog?: boolean;
  series: Series[];
  /** One or two sentences: what the plot shows and how to read it. */
  caption: string;
}

/** Where a reference table's numbers come from: a paper, or a computation of ours (e.g. a float64 simulation). */
export type TableSource = 'paper' | 'our reference computation' | (string & {});

export interface Table {
  title: string;
  columns: string[];
  rows: (string | number)[][];
  /** For reference tables: where the numbers come from; printed before the title ("Paper: …"). */
  source?: TableSource;
}

/**
 * A grid of small greyscale images (e.g. imputed digits beside the observed part), drawn in the
 * report as pixelated PNGs. Pixel values are in [0, 1] (clipped when drawn); -1 marks a missing
 * pixel, drawn in a colour that no grey level has.
 */
export interface ImageGrid {
  id: string;
  title: string;
  /** Side lengths of every image. */
  width: number;
  height: number;
  columnLabels: string[];
  rowLabels: string[];
  /** [row][column] → width·height values, row-major. */
  images: number[][][];
  caption: string;
}

export interface ExperimentResult {
  name: string;
  title: string;
  /** What the experiment shows, in a few sentences. */
  summary: string;
  plots: Plot[];
  /** Optional image grids, shown after the plots. */
  images?: ImageGrid[];
  tables: Table[];
  /** The seed paper's numbers beside ours, where they exist. */
  references: Table[];
  /** Honest notes where we differ from the paper (scale, data set, steps). */
  comments: string[];
  /** Key numbers (for results.json and tests), e.g. { finalPhiError: 0.01 }. */
  metrics: Record<string, number>;
  /** The settings actually used (steps, samples, learning rates...). */
  settings: Record<string, number | string | boolean>;
  /** True if stopped early by Ctrl-C. */
  interrupted: boolean;
  /** Wall time in seconds. */
  seconds: number;
}

export interface Experiment {
  name: string;
  title: string;
  /** One line for `sieve experiments --help`. */
  description: string;
  run(context: RunContext): Promise<ExperimentResult>;
}
