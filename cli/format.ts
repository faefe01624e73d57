/**
 * Number formatting shared by the terminal tables, the progress bar and the report.
 */

/** A compact human-readable number: integers as is (up to 1e9), others to `digits` significant digits. */
export function formatNumber(v: number, digits = 4): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '∞';
  if (v === -Infinity) return '-∞';
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e9)) {
    const [m, e] = v.toExponential(digits - 1).split('e');
    return `${trimZeros(m)}e${e.replace('+', '')}`;
  }
  // toPrecision may switch to exponent form for large values; fixed notation reads better here.
  const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(a || 1)));
  return trimZeros(v.toFixed(Math.min(decimals, 20)));
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** A table cell: numbers formatted, strings as they are. */
export function formatCell(v: string | number, digits = 4): string {
  return typeof v === 'number' ? formatNumber(v, digits) : v;
}

/** Seconds as "12.3s", "4m05s" or "1h02m". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)}s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
