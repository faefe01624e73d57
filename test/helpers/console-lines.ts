/**
 * The lines an example program prints with console.log while `run` (usually an `import()` of it) runs.
 * Non-string arguments are shown as JSON or with String(), as the example's checks expect.
 */
import { vi } from 'vitest';

export async function consoleLines(run: () => Promise<unknown>, show: 'json' | 'string' = 'string'): Promise<string[]> {
  const lines: string[] = [];
  const format = (a: unknown): string => (typeof a === 'string' || show === 'string' ? String(a) : JSON.stringify(a));
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.map(format).join(' '));
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return lines;
}
