/**
 * A small strict well-formedness checker for the HTML the report writer produces (test helper):
 * balanced and properly nested tags, void elements never closed, attributes double-quoted and
 * unique, text and attribute values escaped (no raw '<' or '>', every '&' starts an entity), and
 * nothing that would touch the network (no <script src>, <link>, <iframe>, external src/href,
 * url(http...), @import).
 */

const VOID = new Set([
  'meta',
  'link',
  'br',
  'hr',
  'img',
  'input',
  'col',
  'area',
  'base',
  'wbr',
  'source',
  'track',
  'embed',
  'param',
]);
const RAW_TEXT = new Set(['style', 'script']);
const ENTITY = /^&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#x[0-9A-Fa-f]+);/;

export interface HtmlCheckResult {
  /** Number of start tags per element name. */
  counts: Map<string, number>;
  /** Start tags in document order with their attributes. */
  elements: { name: string; attrs: Map<string, string> }[];
}

function where(html: string, i: number): string {
  const line = html.slice(0, i).split('\n').length;
  return `line ${line}: ...${JSON.stringify(html.slice(Math.max(0, i - 40), i + 40))}`;
}

function checkText(html: string, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    const c = html[i];
    if (c === '<' || c === '>') throw new Error(`unescaped '${c}' in text at ${where(html, i)}`);
    if (c === '&' && !ENTITY.test(html.slice(i, i + 12))) throw new Error(`bare '&' in text at ${where(html, i)}`);
  }
}

function checkUrl(name: string, attr: string, value: string, html: string, i: number): void {
  if (attr === 'src' || attr === 'href' || attr === 'xlink:href' || attr === 'action' || attr === 'srcset') {
    // Inline PNG data (report image grids) is self-contained; every other scheme could reach out.
    const inlinePng = attr === 'src' && /^data:image\/png;base64,[A-Za-z0-9+/=]*$/.test(value);
    if (!inlinePng && /^\s*(?:[a-z][a-z0-9+.-]*:|\/\/)/i.test(value))
      throw new Error(`external ${attr}="${value}" on <${name}> at ${where(html, i)}`);
  }
  if (/url\(\s*['"]?\s*(?:[a-z][a-z0-9+.-]*:|\/\/)/i.test(value))
    throw new Error(`external url() in ${attr} at ${where(html, i)}`);
}

export function checkHtml(html: string): HtmlCheckResult {
  const counts = new Map<string, number>();
  const elements: HtmlCheckResult['elements'] = [];
  const stack: string[] = [];
  let i = 0;
  const doctype = /^<!DOCTYPE html>\s*/i.exec(html);
  if (doctype === null) throw new Error('missing <!DOCTYPE html>');
  i = doctype[0].length;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    const textEnd = lt === -1 ? html.length : lt;
    checkText(html, i, textEnd);
    if (lt === -1) break;
    i = lt;
    if (html.startsWith('<!--', i)) {
      const end = html.indexOf('-->', i + 4);
      if (end === -1) throw new Error(`unterminated comment at ${where(html, i)}`);
      i = end + 3;
      continue;
    }
    const close = /^<\/([A-Za-z][A-Za-z0-9-]*)\s*>/.exec(html.slice(i, i + 200));
    if (close !== null) {
      const name = close[1].toLowerCase();
      if (VOID.has(name)) throw new Error(`closing tag for void element </${name}> at ${where(html, i)}`);
      const top = stack.pop();
      if (top !== name) throw new Error(`</${name}> closes <${top ?? 'nothing'}> at ${where(html, i)}`);
      i += close[0].length;
      continue;
    }
    const open = /^<([A-Za-z][A-Za-z0-9-]*)/.exec(html.slice(i, i + 100));
    if (open === null) throw new Error(`stray '<' at ${where(html, i)}`);
    const name = open[1].toLowerCase();
    let j = i + open[0].length;
    const attrs = new Map<string, string>();
    let selfClosing = false;
    for (;;) {
      while (/\s/.test(html[j] ?? '')) j++;
      if (html[j] === '>') {
        j++;
        break;
      }
      if (html.startsWith('/>', j)) {
        selfClosing = true;
        j += 2;
        break;
      }
      const a = /^([A-Za-z_:][A-Za-z0-9_:.-]*)(?:="([^"]*)")?/.exec(html.slice(j, j + 100_000));
      if (a === null || a[0].length === 0) throw new Error(`bad attribute syntax in <${name}> at ${where(html, j)}`);
      const attr = a[1].toLowerCase();
      if (attrs.has(attr)) throw new Error(`duplicate attribute ${attr} in <${name}> at ${where(html, j)}`);
      const value = a[2] ?? '';
      if (value.includes('<') || value.includes('>'))
        throw new Error(`unescaped '<' or '>' in attribute ${attr} at ${where(html, j)}`);
      for (let k = value.indexOf('&'); k !== -1; k = value.indexOf('&', k + 1)) {
        if (!ENTITY.test(value.slice(k, k + 12))) throw new Error(`bare '&' in attribute ${attr} at ${where(html, j)}`);
      }
      checkUrl(name, attr, value, html, j);
      attrs.set(attr, value);
      j += a[0].length;
      if (!/[\s>/]/.test(html[j] ?? ''))
        throw new Error(`attributes must be separated by spaces in <${name}> at ${where(html, j)}`);
    }
    if (name === 'script' && attrs.has('src')) throw new Error(`<script src> at ${where(html, i)}`);
    if (name === 'link' || name === 'iframe' || name === 'object')
      throw new Error(`<${name}> is not allowed in a self-contained page at ${where(html, i)}`);
    counts.set(name, (counts.get(name) ?? 0) + 1);
    elements.push({ name, attrs });
    i = j;
    if (selfClosing || VOID.has(name)) continue;
    if (RAW_TEXT.has(name)) {
      const end = html.toLowerCase().indexOf(`</${name}>`, i);
      if (end === -1) throw new Error(`unterminated <${name}> at ${where(html, i)}`);
      const body = html.slice(i, end);
      if (body.includes('<')) throw new Error(`'<' inside <${name}> at ${where(html, i)}`);
      if (/@import|url\(\s*['"]?\s*(?:https?:|\/\/)/i.test(body))
        throw new Error(`external resource in <${name}> at ${where(html, i)}`);
      i = end + name.length + 3;
      continue;
    }
    stack.push(name);
  }
  if (stack.length > 0) throw new Error(`unclosed elements at end: ${stack.join(' > ')}`);
  if ((counts.get('html') ?? 0) !== 1 || (counts.get('head') ?? 0) !== 1 || (counts.get('body') ?? 0) !== 1) {
    throw new Error('expected exactly one <html>, <head> and <body>');
  }
  return { counts, elements };
}
