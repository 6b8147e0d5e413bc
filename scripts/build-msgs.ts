/**
 * Builds bridge/server/peract-msgs.generated.ts, the peract_msgs entries of the bridge's message
 * registry (bridge/server/message-types.ts), from the ROS interface files in msgs/peract_msgs/: those
 * files are the single definition of the types, shipped with the npm package for robots'
 * workspaces.
 *
 * The parser takes the `.msg`/`.srv` syntax ROS 1 and ROS 2 share: one `type name` field or
 * `type NAME=value` constant a line, `#` comments (the comment lines right above an entry and
 * a comment after it describe it; the comment block that opens the file, up to a blank line,
 * describes the type), `---` between a service's request and response. Types are the
 * primitives the bridge checks (bool, int8 ... uint64, float32, float64, string, and ROS 1's
 * time and duration), `package/Type` names, or a bare `Type` of this package, each optionally
 * an array (`[]`, `[N]`). What the bridge cannot check (default values, bounded strings and
 * arrays, byte, char, wstring) is rejected with the file and line.
 *
 * Run it after changing a file in msgs/peract_msgs/: `npm run msgs`; `--check` exits 1 when the
 * committed file differs from what the interface files give.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { invalidArgument } from '../core/index.js';

/** A field: type in .msg syntax (`float64[2]`, `geometry_msgs/Pose`), name, its comment and line. */
export interface ParsedField {
  name: string;
  type: string;
  comment: string;
  line: number;
}

/** A constant (`int32 VARIATION_FROM_SEED=-1`): part of the ROS type, never on the wire. */
export interface ParsedConstant {
  name: string;
  type: string;
  value: number | boolean | string;
  comment: string;
}

/** A message, or one half of a service. */
export interface ParsedSection {
  fields: ParsedField[];
  constants: ParsedConstant[];
}

interface ParsedCommon {
  /** `peract_msgs/GripperState` (the ROS 1 spelling the registry uses). */
  name: string;
  /** The comment block that opens the file. */
  description: string;
  /** Where it was read from, as errors name it. */
  file: string;
}

export interface ParsedMessage extends ParsedCommon {
  kind: 'msg';
  body: ParsedSection;
}

export interface ParsedService extends ParsedCommon {
  kind: 'srv';
  request: ParsedSection;
  response: ParsedSection;
}

export type ParsedInterface = ParsedMessage | ParsedService;

export interface InterfaceSource {
  /** The file as errors name it (`msgs/peract_msgs/msg/Command.msg`). */
  file: string;
  /** The type's full name, `peract_msgs/Command`. */
  name: string;
  kind: 'msg' | 'srv';
  /** Line number of the text's first line in `file` (1 unless the text is a part of it). */
  firstLine?: number;
}

export const PACKAGE_NAME = 'peract_msgs';
/** The interface package, relative to the repository root. */
export const PACKAGE_DIR = 'msgs/peract_msgs';
/** The generated file, relative to the repository root. */
export const GENERATED_FILE = 'bridge/server/peract-msgs.generated.ts';

const INTEGER_RANGES: Record<string, [bigint, bigint]> = {
  int8: [-128n, 127n],
  uint8: [0n, 255n],
  int16: [-32768n, 32767n],
  uint16: [0n, 65535n],
  int32: [-2147483648n, 2147483647n],
  uint32: [0n, 4294967295n],
  // The registry carries integers as JavaScript numbers.
  int64: [BigInt(Number.MIN_SAFE_INTEGER), BigInt(Number.MAX_SAFE_INTEGER)],
  uint64: [0n, BigInt(Number.MAX_SAFE_INTEGER)],
};
const PRIMITIVES = new Set(['bool', 'float32', 'float64', 'string', 'time', 'duration', ...Object.keys(INTEGER_RANGES)]);
/** ROS 2 spellings of ROS 1's time primitives. */
const BUILTIN_ALIASES: Record<string, string> = { 'builtin_interfaces/Time': 'time', 'builtin_interfaces/Duration': 'duration' };
const UNSUPPORTED: Record<string, string> = {
  byte: 'use uint8',
  char: 'use uint8 or int8',
  wstring: 'use string',
};

const FIELD_NAME = /^[a-z](?:[a-z0-9]|_(?!_))*$/;
const CONSTANT_NAME = /^[A-Z](?:[A-Z0-9]|_(?!_))*$/;
const PACKAGE_PART = /^[a-z](?:[a-z0-9]|_(?!_))*$/;
const TYPE_PART = /^[A-Z][A-Za-z0-9]*$/;

/** Parses one .msg or .srv text; throws PeractError INVALID_ARGUMENT naming `file:line`. */
export function parseInterface(text: string, source: InterfaceSource): ParsedInterface {
  const [pkg] = source.name.split('/');
  const sections: ParsedSection[] = [{ fields: [], constants: [] }];
  let description: string[] | undefined;
  let pending: string[] = [];
  let seenEntry = false;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = (source.firstLine ?? 1) + index;
    const where = `${source.file}:${line}`;
    const fail = (problem: string): never => {
      throw invalidArgument(where, `${problem} (in "${raw.trim()}")`);
    };
    const trimmed = raw.trim();
    if (trimmed === '') {
      // The comment block that opens the file, ended by a blank line, describes the type.
      if (!seenEntry && description === undefined && pending.length > 0) description = pending;
      pending = [];
      return;
    }
    if (trimmed.startsWith('#')) {
      pending.push(commentText(trimmed));
      return;
    }
    if (trimmed === '---') {
      if (source.kind === 'msg') fail('"---" separates a service\'s request and response; a .msg file has none');
      if (sections.length > 1) fail('a second "---": a service has one request and one response');
      sections.push({ fields: [], constants: [] });
      pending = [];
      seenEntry = true;
      return;
    }
    const section = sections[sections.length - 1];
    const taken = (name: string) => section.fields.some((f) => f.name === name) || section.constants.some((c) => c.name === name);
    seenEntry = true;
    // A string constant's value runs to the end of the line: a `#` in it is no comment.
    const stringConstant = /^string\s+([A-Za-z0-9_]+)\s*=(.*)$/.exec(trimmed);
    if (stringConstant) {
      const [, name, value] = stringConstant;
      if (!CONSTANT_NAME.test(name)) fail(`constant name "${name}" must be upper case (A-Z, 0-9, single underscores)`);
      if (taken(name)) fail(`"${name}" is defined twice`);
      section.constants.push({ name, type: 'string', value: unquote(value.trim()), comment: pending.join('\n') });
      pending = [];
      return;
    }
    const hash = trimmed.indexOf('#');
    const body = (hash < 0 ? trimmed : trimmed.slice(0, hash)).trim();
    const trailing = hash < 0 ? [] : [commentText(trimmed.slice(hash))];
    const comment = [...pending, ...trailing].filter((c) => c !== '').join('\n');
    pending = [];
    const constant = /^(\S+)\s+([^\s=]+)\s*=\s*(.*)$/.exec(body);
    if (constant) {
      const [, typeText, name, valueText] = constant;
      if (!CONSTANT_NAME.test(name)) fail(`constant name "${name}" must be upper case (A-Z, 0-9, single underscores)`);
      if (taken(name)) fail(`"${name}" is defined twice`);
      if (!(typeText in INTEGER_RANGES) && typeText !== 'bool' && typeText !== 'float32' && typeText !== 'float64') {
        fail(`a constant must be of a primitive type (bool, an integer, float32, float64 or string), got "${typeText}"`);
      }
      section.constants.push({ name, type: typeText, value: constantValue(typeText, valueText.trim(), fail), comment });
      return;
    }
    const parts = body.split(/\s+/);
    if (parts.length !== 2) {
      if (parts.length === 3) fail('default values are not supported (ROS 1 has none; the bridge fills in zeros)');
      fail('expected "type name" (a field), "TYPE NAME=value" (a constant), "---" or a # comment');
    }
    const [typeText, name] = parts;
    if (!FIELD_NAME.test(name) || name.endsWith('_')) fail(`field name "${name}" must be lower case (a-z, 0-9, single underscores, no trailing underscore)`);
    if (taken(name)) fail(`"${name}" is defined twice`);
    section.fields.push({ name, type: fieldType(typeText, pkg, fail), comment, line });
  });
  if (source.kind === 'srv' && sections.length !== 2) {
    throw invalidArgument(`${source.file}:${(source.firstLine ?? 1) + lines.length - 1}`, 'a .srv file needs "---" between its request and response');
  }
  const common = { name: source.name, description: (description ?? []).join('\n'), file: source.file };
  return source.kind === 'msg' ? { ...common, kind: 'msg', body: sections[0] } : { ...common, kind: 'srv', request: sections[0], response: sections[1] };
}

function commentText(comment: string): string {
  return comment.replace(/^#+ ?/, '').trimEnd();
}

function unquote(value: string): string {
  const quoted = /^"(.*)"$|^'(.*)'$/.exec(value);
  return quoted ? (quoted[1] ?? quoted[2]) : value;
}

/** A field's type in the registry's spelling: primitives, `package/Type`, arrays. */
function fieldType(text: string, pkg: string, fail: (problem: string) => never): string {
  const m = /^([^[\]<=]+)(?:\[(\d*)\])?$/.exec(text);
  if (!m) {
    if (/<=/.test(text)) fail(`bounded strings and arrays ("${text}") are not supported by the bridge; use an unbounded or fixed-size type`);
    fail(`"${text}" is not a type: expected a primitive, package/Type or a bare Type, optionally with [] or [N]`);
  }
  const [, base, size] = m as RegExpExecArray;
  const suffix = size === undefined ? '' : `[${size}]`;
  if (size !== undefined && size !== '' && (Number(size) === 0 || size.startsWith('0'))) fail(`array size "${size}" must be a positive integer without leading zeros`);
  if (PRIMITIVES.has(base)) return base + suffix;
  if (base in UNSUPPORTED) fail(`"${base}" is not supported by the bridge: ${UNSUPPORTED[base]}`);
  if (base in BUILTIN_ALIASES) return BUILTIN_ALIASES[base] + suffix;
  const slash = base.split('/');
  if (slash.length === 1 && TYPE_PART.test(base)) return `${pkg}/${base}${suffix}`;
  if (slash.length === 2 && PACKAGE_PART.test(slash[0]) && TYPE_PART.test(slash[1])) return base + suffix;
  if (slash.length === 3 && slash[1] === 'msg' && PACKAGE_PART.test(slash[0]) && TYPE_PART.test(slash[2])) return `${slash[0]}/${slash[2]}${suffix}`;
  return fail(`"${base}" is not a type: expected a primitive (bool, int8 ... uint64, float32, float64, string, time, duration), package/Type or a bare Type`);
}

function constantValue(type: string, text: string, fail: (problem: string) => never): number | boolean {
  if (type === 'bool') {
    const lower = text.toLowerCase();
    if (lower === 'true' || lower === '1') return true;
    if (lower === 'false' || lower === '0') return false;
    return fail(`a bool constant must be true or false, got "${text}"`);
  }
  const range = INTEGER_RANGES[type];
  if (range) {
    if (!/^[-+]?\d+$/.test(text)) return fail(`a ${type} constant must be an integer, got "${text}"`);
    const value = BigInt(text);
    if (value < range[0] || value > range[1]) return fail(`${text} is outside ${type}'s range [${range[0]}, ${range[1]}]`);
    return Number(value);
  }
  const value = Number(text);
  if (text === '' || !Number.isFinite(value)) return fail(`a ${type} constant must be a finite number, got "${text}"`);
  return value;
}

/** The interface files of the package, msg/ then srv/, each sorted by name, paths relative to `root`. */
export function interfaceFiles(root: string): { file: string; name: string; kind: 'msg' | 'srv' }[] {
  return (['msg', 'srv'] as const).flatMap((kind) =>
    readdirSync(join(root, PACKAGE_DIR, kind))
      .filter((f) => f.endsWith(`.${kind}`))
      .sort()
      .map((f) => ({ file: posix.join(PACKAGE_DIR, kind, f), name: `${PACKAGE_NAME}/${f.slice(0, -kind.length - 1)}`, kind })),
  );
}

/** Every interface file of msgs/peract_msgs/, parsed; a field of this package's type must name one of its messages. */
export function readInterfaces(root: string): ParsedInterface[] {
  const interfaces = interfaceFiles(root).map((source) => parseInterface(readFileSync(join(root, source.file), 'utf8'), source));
  checkLocalTypes(interfaces);
  return interfaces;
}

/** Throws naming the file and line of a field whose type is this package's but none of its messages. */
export function checkLocalTypes(interfaces: readonly ParsedInterface[]): void {
  const messages = new Set(interfaces.filter((i) => i.kind === 'msg').map((i) => i.name));
  for (const i of interfaces) {
    const fields = i.kind === 'msg' ? i.body.fields : [...i.request.fields, ...i.response.fields];
    for (const f of fields) {
      const base = f.type.replace(/\[\d*\]$/, '');
      if (base.startsWith(`${PACKAGE_NAME}/`) && !messages.has(base)) {
        throw invalidArgument(`${i.file}:${f.line}`, `field "${f.name}": ${base} is not a message of ${PACKAGE_DIR} (no msg/${base.slice(PACKAGE_NAME.length + 1)}.msg)`);
      }
    }
  }
}

/** The generated TypeScript for `interfaces`. */
export function renderGenerated(interfaces: readonly ParsedInterface[]): string {
  const messages = interfaces.filter((i): i is ParsedMessage => i.kind === 'msg');
  const services = interfaces.filter((i): i is ParsedService => i.kind === 'srv');
  const comment = (text: string, indent: string): string[] => (text ? text.split('\n').map((l) => `${indent}//${l ? ` ${l}` : ''}`) : []);
  const fields = (list: readonly ParsedField[], indent: string): string[] =>
    list.flatMap((f) => [...comment(f.comment, indent), `${indent}{ name: '${f.name}', type: '${f.type}' },`]);
  const constants: [string, ParsedConstant[]][] = [
    ...messages.map((m): [string, ParsedConstant[]] => [m.name, m.body.constants]),
    ...services.flatMap((s): [string, ParsedConstant[]][] => [
      [`${s.name}_Request`, s.request.constants],
      [`${s.name}_Response`, s.response.constants],
    ]),
  ].filter(([, list]) => list.length > 0);
  const header = (i: ParsedInterface) => comment(`${i.file}${i.description ? `: ${i.description}` : ''}`, '  ');
  return [
    `// Generated by scripts/build-msgs.ts (npm run msgs) from ${PACKAGE_DIR}/msg/*.msg and srv/*.srv: do not edit.`,
    '// Change the interface files and run `npm run msgs`; a test fails while this file is out of date.',
    '',
    '/** A field as its .msg line gives it: the type in .msg syntax (`float64[2]`, `geometry_msgs/Pose`) and the name. */',
    'export interface PeractField {',
    '  readonly name: string;',
    '  readonly type: string;',
    '}',
    '',
    '/** A constant of a type (`int32 VARIATION_FROM_SEED=-1`): part of the ROS type, never sent. */',
    'export interface PeractConstant {',
    '  readonly name: string;',
    '  readonly type: string;',
    '  readonly value: number | boolean | string;',
    '}',
    '',
    `/** The ${PACKAGE_NAME} message types: fields in order. */`,
    'export const PERACT_MESSAGES: Readonly<Record<string, readonly PeractField[]>> = {',
    ...messages.flatMap((m) => [...header(m), `  '${m.name}': [`, ...fields(m.body.fields, '    '), '  ],']),
    '};',
    '',
    `/** The ${PACKAGE_NAME} service types: request and response fields in order. */`,
    'export const PERACT_SERVICES: Readonly<Record<string, { readonly request: readonly PeractField[]; readonly response: readonly PeractField[] }>> = {',
    ...services.flatMap((s) => [
      ...header(s),
      `  '${s.name}': {`,
      '    request: [',
      ...fields(s.request.fields, '      '),
      '    ],',
      '    response: [',
      ...fields(s.response.fields, '      '),
      '    ],',
      '  },',
    ]),
    '};',
    '',
    `/** Constants by type; a service's request and response as ROS 2 names them (\`${PACKAGE_NAME}/Reset_Request\`). */`,
    'export const PERACT_CONSTANTS: Readonly<Record<string, readonly PeractConstant[]>> = {',
    ...constants.flatMap(([name, list]) => [
      `  '${name}': [`,
      ...list.flatMap((c) => [...comment(c.comment, '    '), `    { name: '${c.name}', type: '${c.type}', value: ${JSON.stringify(c.value)} },`]),
      '  ],',
    ]),
    '};',
    '',
  ].join('\n');
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = join(ROOT, GENERATED_FILE);
  let interfaces: ParsedInterface[];
  try {
    interfaces = readInterfaces(ROOT);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
  const text = renderGenerated(interfaces);
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(out, 'utf8');
    } catch {
      // A missing file differs.
    }
    const same = current === text;
    console.log(same ? `${GENERATED_FILE} is up to date` : `${GENERATED_FILE} differs from ${PACKAGE_DIR}: run npm run msgs`);
    process.exit(same ? 0 : 1);
  }
  writeFileSync(out, text);
  console.log(`wrote ${GENERATED_FILE} from ${interfaces.length} interface files in ${PACKAGE_DIR}`);
}
