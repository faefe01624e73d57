/**
 * Special functions on plain (float64) numbers: log-gamma, digamma and polygamma.
 * Used by the kernels and as float64 references in tests.
 */

// Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 relative for x > 0.5.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** log |Γ(x)|. Poles (x = 0, -1, -2, ...) give +Infinity. */
export function lgamma(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return Infinity;
  if (x <= 0 && Number.isInteger(x)) return Infinity;
  if (x < 0.5) {
    // Reflection: Γ(x) Γ(1-x) = π / sin(πx)
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  }
  x -= 1;
  let a = LANCZOS[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (x + i);
  return HALF_LOG_2PI + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** ψ(x) = d/dx log Γ(x). Poles give NaN. */
export function digamma(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return Infinity;
  if (x <= 0 && Number.isInteger(x)) return NaN;
  let result = 0;
  if (x < 0) {
    // Reflection: ψ(1-x) - ψ(x) = π cot(πx)
    result -= Math.PI / Math.tan(Math.PI * x);
    x = 1 - x;
  }
  // Recurrence ψ(x) = ψ(x+1) - 1/x until x is large enough for the asymptotic series.
  while (x < 6) {
    result -= 1 / x;
    x += 1;
  }
  const f = 1 / (x * x);
  result += Math.log(x) - 0.5 / x - f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f * (1 / 132)))));
  return result;
}

// Bernoulli numbers B_2k for the asymptotic polygamma series.
const BERNOULLI_2K = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510];

function logFactorial(n: number): number {
  let s = 0;
  for (let i = 2; i <= n; i++) s += Math.log(i);
  return s;
}

/**
 * ψ⁽ⁿ⁾(x), the n-th derivative of the digamma function (n = 0 is digamma itself).
 * Defined here for x > 0 (negative non-integer x uses no reflection for n >= 1 and returns NaN).
 */
export function polygamma(n: number, x: number): number {
  if (n === 0) return digamma(x);
  if (Number.isNaN(x) || x <= 0) return NaN;
  if (x === Infinity) return 0;
  // ψ⁽ⁿ⁾(x) = (-1)^{n+1} n! Σ_k 1/(x+k)^{n+1}; shift x up, then use the asymptotic expansion.
  const sign = n % 2 === 1 ? 1 : -1;
  const nFact = Math.exp(logFactorial(n));
  let acc = 0;
  while (x < 15) {
    acc += 1 / Math.pow(x, n + 1);
    x += 1;
  }
  // Σ_{k>=0} 1/(x+k)^{n+1} ≈ x^{-n}/n + x^{-(n+1)}/2 + Σ_j B_2j (n+2j-1)!/((2j)! n!) x^{-(n+2j)}
  let tail = Math.pow(x, -n) / n + 0.5 * Math.pow(x, -(n + 1));
  for (let j = 1; j <= BERNOULLI_2K.length; j++) {
    const coeff = Math.exp(logFactorial(n + 2 * j - 1) - logFactorial(2 * j) - logFactorial(n));
    tail += BERNOULLI_2K[j - 1] * coeff * Math.pow(x, -(n + 2 * j));
  }
  return sign * nFact * (acc + tail);
}
