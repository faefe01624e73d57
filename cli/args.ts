/**
 * A small command-line parser: `--flag value`, `--flag=value`, boolean flags, numbers validated
 * against ranges, choices validated against lists, positionals, `--` and `-h`. Every problem is a
 * `UsageError` whose message is one line naming the valid choices; the caller prints it and exits
 * with code 2.
 */

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type OptionValue = string | number | boolean;

interface OptionBase {
  /** Long name without the dashes, e.g. 'target-accept'. */
  name: string;
  description: string;
  /** Placeholder in help, e.g. 'N'. */
  metavar?: string;
  /** Shown in help as "(default: ...)"; not applied by the parser. */
  defaultText?: string;
  hidden?: boolean;
}

export interface BooleanOption extends OptionBase {
  type: 'boolean';
}

export interface StringOption extends OptionBase {
  type: 'string';
}

export interface NumberOption extends OptionBase {
  type: 'number' | 'integer';
  min?: number;
  max?: number;
  /** Exclude the bounds themselves (min < v, v < max). */
  minExclusive?: boolean;
  maxExclusive?: boolean;
}

export interface ChoiceOption extends OptionBase {
  type: 'choice';
  /** What a value is called in errors: "unknown model 'foo'". */
  noun: string;
  choices: () => readonly string[];
}

export type OptionSpec = BooleanOption | StringOption | NumberOption | ChoiceOption;

export interface PositionalSpec {
  name: string;
  description: string;
  noun: string;
  choices?: () => readonly string[];
}

export interface CommandSpec {
  name: string;
  summary: string;
  options: OptionSpec[];
  /** Zero or more positionals of this kind (e.g. experiment names). */
  positionals?: PositionalSpec;
}

export interface ParsedArgs {
  options: Record<string, OptionValue>;
  positionals: string[];
  help: boolean;
}

/** "(valid: a, b, c)" or "(none registered yet)". */
export function validList(choices: readonly string[]): string {
  return choices.length === 0 ? '(none registered yet)' : `(valid: ${choices.join(', ')})`;
}

/** The range of a number option in words: "an integer >= 1", "a number in (0, 1)". */
export function describeRange(spec: NumberOption): string {
  const kind = spec.type === 'integer' ? 'an integer' : 'a number';
  const lo = spec.min;
  const hi = spec.max;
  if (lo !== undefined && hi !== undefined) {
    return `${kind} in ${spec.minExclusive ? '(' : '['}${lo}, ${hi}${spec.maxExclusive ? ')' : ']'}`;
  }
  if (lo !== undefined) return `${kind} ${spec.minExclusive ? '>' : '>='} ${lo}`;
  if (hi !== undefined) return `${kind} ${spec.maxExclusive ? '<' : '<='} ${hi}`;
  return spec.type === 'integer' ? 'an integer' : 'a finite number';
}

/** Parse and check a number option's text. */
export function parseNumberOption(spec: NumberOption, text: string): number {
  const trimmed = text.trim();
  const v = trimmed === '' ? NaN : Number(trimmed);
  const bad = (): never => {
    throw new UsageError(`--${spec.name} must be ${describeRange(spec)}, got '${text}'`);
  };
  if (!Number.isFinite(v)) bad();
  if (spec.type === 'integer' && !Number.isSafeInteger(v)) bad();
  if (spec.min !== undefined && (spec.minExclusive ? !(v > spec.min) : !(v >= spec.min))) bad();
  if (spec.max !== undefined && (spec.maxExclusive ? !(v < spec.max) : !(v <= spec.max))) bad();
  return v;
}

/** Check a choice. */
export function checkChoice(noun: string, value: string, choices: readonly string[]): string {
  if (!choices.includes(value)) throw new UsageError(`unknown ${noun} '${value}' ${validList(choices)}`);
  return value;
}

function optionNames(spec: CommandSpec): string[] {
  return spec.options.filter((o) => !o.hidden).map((o) => `--${o.name}`);
}

/**
 * Parse the arguments after the command name. Options may come in any order, before or after
 * positionals; a later repetition of an option wins. `--help`/`-h` anywhere sets `help` and skips
 * validation of the rest (so `sieve fit --model nope --help` still shows help).
 */
export function parseCommandArgs(argv: readonly string[], spec: CommandSpec): ParsedArgs {
  if (argv.includes('--help') || argv.includes('-h')) {
    const dashdash = argv.indexOf('--');
    const at = Math.max(argv.indexOf('--help'), argv.indexOf('-h'));
    if (dashdash === -1 || at < dashdash) return { options: {}, positionals: [], help: true };
  }
  const options: Record<string, OptionValue> = {};
  const positionals: string[] = [];
  const byName = new Map(spec.options.map((o) => [o.name, o]));
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (onlyPositionals || !arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPositionals = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      throw new UsageError(
        `unknown option '${arg}' for 'sieve ${spec.name}' (options are long, e.g. --seed 1; ` +
          `valid: ${optionNames(spec).join(', ')}, --help)`,
      );
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    const opt = byName.get(name);
    if (opt === undefined) {
      throw new UsageError(
        `unknown option '--${name}' for 'sieve ${spec.name}' (valid: ${optionNames(spec).join(', ')}, --help)`,
      );
    }
    if (opt.type === 'boolean') {
      if (inline === undefined || inline === 'true') options[opt.name] = true;
      else if (inline === 'false') options[opt.name] = false;
      else throw new UsageError(`--${opt.name} is a flag and takes no value (or =true / =false), got '${inline}'`);
      continue;
    }
    let text = inline;
    if (text === undefined) {
      const next = argv[i + 1];
      // A following "--something" is the next option, not this one's value; "-5" is a value.
      if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        throw new UsageError(`--${opt.name} needs a value: ${expectation(opt)}`);
      }
      text = next;
      i++;
    }
    options[opt.name] = convert(opt, text);
  }
  if (spec.positionals === undefined && positionals.length > 0) {
    throw new UsageError(
      `unexpected argument '${positionals[0]}' for 'sieve ${spec.name}' (it takes only options: ` +
        `${optionNames(spec).join(', ')})`,
    );
  }
  const pos = spec.positionals;
  if (pos?.choices !== undefined) {
    const choices = pos.choices();
    for (const p of positionals) checkChoice(pos.noun, p, choices);
  }
  return { options, positionals, help: false };
}

function expectation(opt: OptionSpec): string {
  switch (opt.type) {
    case 'number':
    case 'integer':
      return describeRange(opt);
    case 'choice':
      return `a ${opt.noun} ${validList(opt.choices())}`;
    default:
      return opt.metavar ?? 'a value';
  }
}

function convert(opt: OptionSpec, text: string): OptionValue {
  switch (opt.type) {
    case 'number':
    case 'integer':
      return parseNumberOption(opt, text);
    case 'choice':
      return checkChoice(opt.noun, text, opt.choices());
    case 'string':
      if (text === '') throw new UsageError(`--${opt.name} needs a non-empty value`);
      return text;
    default:
      return text;
  }
}

/** The options block of a help text: aligned names, metavars, descriptions and defaults. */
export function formatOptionsHelp(options: readonly OptionSpec[], width = 100): string {
  const rows = options
    .filter((o) => !o.hidden)
    .map((o) => {
      const metavar =
        o.metavar ?? (o.type === 'choice' ? 'NAME' : o.type === 'string' ? 'VALUE' : o.type === 'integer' ? 'N' : 'X');
      const meta = o.type === 'boolean' ? '' : ` ${metavar}`;
      let desc = o.description;
      if (o.type === 'number' || o.type === 'integer') desc += ` (${describeRange(o)}`;
      if (o.defaultText !== undefined)
        desc += `${o.type === 'number' || o.type === 'integer' ? '; ' : ' ('}default ${o.defaultText})`;
      else if (o.type === 'number' || o.type === 'integer') desc += ')';
      return [`--${o.name}${meta}`, desc] as const;
    });
  rows.push(['--help, -h', 'show this help']);
  const left = Math.min(28, Math.max(...rows.map(([n]) => n.length)) + 2);
  return rows.map(([n, d]) => wrap(`  ${n.padEnd(left)}${d}`, width, 2 + left)).join('\n');
}

/** Word-wrap one line to `width`, indenting continuation lines by `indent`. */
export function wrap(line: string, width: number, indent: number): string {
  const out: string[] = [];
  let rest = line;
  while (rest.length > width) {
    let cut = rest.lastIndexOf(' ', width);
    if (cut <= indent) cut = width;
    out.push(rest.slice(0, cut).trimEnd());
    rest = ' '.repeat(indent) + rest.slice(cut).trimStart();
  }
  out.push(rest);
  return out.join('\n');
}
