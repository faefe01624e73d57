/**
 * stdout/stderr that tolerate being closed by the reader (`sieve fit | head -1`): once a write fails
 * (EPIPE), the stream is marked closed and later writes are dropped quietly, so the run goes on and
 * still writes its report. Without an 'error' listener Node would crash with a stack trace instead.
 */
import type { OutStream } from './io.js';

export interface ClosableStream extends OutStream {
  /** True once the reader went away: nothing more is written. */
  readonly closed: boolean;
}

export function pipeSafe(stream: NodeJS.WriteStream): ClosableStream {
  let closed = false;
  // Any write error means nobody reads this stream any more; the report on disk is what matters.
  stream.on('error', () => {
    closed = true;
  });
  return {
    get closed() {
      return closed || stream.destroyed;
    },
    get isTTY() {
      return stream.isTTY;
    },
    get columns() {
      return stream.columns;
    },
    write(text: string): boolean {
      if (closed || stream.destroyed) return false;
      try {
        return stream.write(text);
      } catch {
        closed = true;
        return false;
      }
    },
  };
}
