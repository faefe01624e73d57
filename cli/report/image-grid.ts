/**
 * Image grids in the report: each image becomes a tiny RGB PNG inside a data URL (a 14×14 image is
 * a few hundred bytes), scaled up with pixelated rendering, in an HTML table with row and column
 * labels. Self-contained: no scripts, no network.
 */
import { deflateSync } from 'node:zlib';
import type { ImageGrid } from '../../experiments/types.js';
import { escapeHtml as esc, safeId } from './escape.js';

/** The colour of a missing pixel (-1): a light blue no grey level can be mistaken for. */
const MISSING_RGB = [150, 190, 235] as const;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One PNG chunk: length, type, data, CRC of type + data. */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** An 8-bit RGB PNG of values in [0, 1] (white = 0 ink, black = 1), -1 = missing. */
export function encodeGreyPng(values: ArrayLike<number>, width: number, height: number): Uint8Array {
  const header = new Uint8Array(13);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  header.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type RGB, deflate, no filter method, no interlace
  const raw = new Uint8Array(height * (1 + 3 * width));
  for (let r = 0; r < height; r++) {
    const row = r * (1 + 3 * width); // each row starts with filter type 0 (none)
    for (let c = 0; c < width; c++) {
      const v = values[r * width + c];
      const rgb = v === -1 ? MISSING_RGB : Array(3).fill(Math.round(255 * (1 - Math.min(1, Math.max(0, v)))));
      raw.set(rgb, row + 1 + 3 * c);
    }
  }
  const signature = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]);
  const parts = [signature, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The grid as an HTML figure: a table of <img> data URLs with its labels, title and caption. */
export function renderImageGrid(grid: ImageGrid, pixelsPerCell = 4): string {
  const w = grid.width * pixelsPerCell;
  const h = grid.height * pixelsPerCell;
  const img = (values: number[]): string => {
    const png = encodeGreyPng(values, grid.width, grid.height);
    const url = `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
    return `<img src="${url}" width="${w}" height="${h}" style="image-rendering: pixelated" alt="">`;
  };
  const head = `<tr><th></th>${grid.columnLabels.map((l) => `<th>${esc(l)}</th>`).join('')}</tr>`;
  const rows = grid.images.map(
    (row, i) => `<tr><th>${esc(grid.rowLabels[i] ?? '')}</th>${row.map((v) => `<td>${img(v)}</td>`).join('')}</tr>`,
  );
  return [
    `<figure class="images" id="images-${safeId(grid.id)}">`,
    `<h4>${esc(grid.title)}</h4>`,
    `<table class="images">${head}${rows.join('')}</table>`,
    `<figcaption>${esc(grid.caption)}</figcaption>`,
    '</figure>',
  ].join('\n');
}
