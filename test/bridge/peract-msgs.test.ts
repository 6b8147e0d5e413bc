import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PeractError } from '../../core/index.js';
import { checkMessage, checkServicePart, messageFields, serviceFields } from '../../bridge/index.js';
import { PERACT_CONSTANTS } from '../../bridge/server/peract-msgs.generated.js';
import { checkLocalTypes, GENERATED_FILE, interfaceFiles, PACKAGE_DIR, parseInterface, readInterfaces, renderGenerated, type InterfaceSource, type ParsedInterface } from '../../scripts/build-msgs.js';

/**
 * msgs/peract_msgs/ is the single definition of the project's ROS types: the committed
 * generated file is what its .msg/.srv files give, the registry the server checks messages
 * against holds them, the ROS build files list them, and the parser refuses what it cannot read
 * with the file and line.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const interfaces = readInterfaces(root);
const plain = (fields: readonly { name: string; type: string }[]) => fields.map(({ name, type }) => ({ name, type }));

describe('msgs/peract_msgs is the single source of the peract_msgs types', () => {
  it('has the four messages and three services', () => {
    expect(interfaces.map((i) => `${i.name}.${i.kind}`)).toEqual([
      'peract_msgs/Command.msg',
      'peract_msgs/GripperState.msg',
      'peract_msgs/PolicyOutput.msg',
      'peract_msgs/StepResult.msg',
      'peract_msgs/Act.srv',
      'peract_msgs/Execute.srv',
      'peract_msgs/Reset.srv',
    ]);
  });

  it(`the committed ${GENERATED_FILE} is what the interface files give (run npm run msgs)`, () => {
    expect(readFileSync(join(root, GENERATED_FILE), 'utf8')).toBe(renderGenerated(interfaces));
  });

  it("the bridge's registry holds the interface files' fields, and knows every type they use", () => {
    for (const i of interfaces) {
      if (i.kind === 'msg') {
        expect(messageFields(i.name), i.name).toEqual(plain(i.body.fields));
        expect(() => checkMessage(i.name, {}), i.name).not.toThrow();
      } else {
        expect(serviceFields(i.name), i.name).toEqual({ request: plain(i.request.fields), response: plain(i.response.fields) });
        expect(() => checkServicePart(i.name, 'request', {}), `${i.name} request`).not.toThrow();
        expect(() => checkServicePart(i.name, 'response', {}), `${i.name} response`).not.toThrow();
      }
    }
    expect(PERACT_CONSTANTS['peract_msgs/Reset_Request']).toEqual([{ name: 'VARIATION_FROM_SEED', type: 'int32', value: -1 }]);
  });

  it('comments every field', () => {
    for (const i of interfaces) {
      expect(i.description, `${i.file} opens with a description`).not.toBe('');
      const sections = i.kind === 'msg' ? [i.body] : [i.request, i.response];
      for (const s of sections) for (const f of [...s.fields, ...s.constants]) expect(f.comment, `${i.file}: ${f.name}`).not.toBe('');
    }
  });

  it('CMakeLists.txt and package.xml build every file with the packages the types use', () => {
    const cmake = readFileSync(join(root, PACKAGE_DIR, 'CMakeLists.txt'), 'utf8');
    const xml = readFileSync(join(root, PACKAGE_DIR, 'package.xml'), 'utf8');
    const listed = [...cmake.matchAll(/"((?:msg|srv)\/[A-Za-z0-9]+\.(?:msg|srv))"/g)].map((m) => m[1]).sort();
    expect(listed).toEqual(interfaceFiles(root).map((f) => f.file.slice(PACKAGE_DIR.length + 1)).sort());
    expect(xml).toMatch(/<name>peract_msgs<\/name>/);
    expect(xml).toMatch(/<member_of_group>rosidl_interface_packages<\/member_of_group>/);
    expect(cmake).toMatch(/project\(peract_msgs\)/);
    const used = new Set<string>();
    for (const i of interfaces) {
      const fields = i.kind === 'msg' ? i.body.fields : [...i.request.fields, ...i.response.fields];
      for (const f of fields) if (f.type.includes('/') && !f.type.startsWith('peract_msgs/')) used.add(f.type.split('/')[0]);
    }
    expect([...used].sort()).toEqual(['geometry_msgs', 'std_msgs']);
    const dependencies = /DEPENDENCIES([^)]*)\)/.exec(cmake)?.[1].trim().split(/\s+/) ?? [];
    for (const pkg of used) {
      expect(xml, `package.xml depends on ${pkg}`).toContain(`<depend>${pkg}</depend>`);
      expect(cmake, `CMakeLists.txt finds ${pkg}`).toContain(`find_package(${pkg} REQUIRED)`);
      expect(dependencies, `rosidl_generate_interfaces DEPENDENCIES has ${pkg}`).toContain(pkg);
    }
  });
});

const msg = (file = 'msg/Test.msg'): InterfaceSource => ({ file, name: 'peract_msgs/Test', kind: 'msg' });
const srv = (file = 'srv/Test.srv'): InterfaceSource => ({ file, name: 'peract_msgs/Test', kind: 'srv' });

function parseError(text: string, source: InterfaceSource): PeractError {
  try {
    parseInterface(text, source);
  } catch (err) {
    expect(err).toBeInstanceOf(PeractError);
    return err as PeractError;
  }
  throw new Error(`parsed without an error: ${JSON.stringify(text)}`);
}

describe('the .msg/.srv parser', () => {
  it('reads fields, comments, constants, the description and the request/response split', () => {
    const text = [
      '# A test type.',
      '# Second line.',
      '',
      '# The count above the field.',
      'int32 count  # and after it',
      'int32 LIMIT = 7 # a constant',
      'string GREETING=hello # world',
      'bool FLAG=true',
      'Other other',
      'geometry_msgs/Point[] points',
      'float64[3] xyz',
      'builtin_interfaces/Time stamp',
      '---',
      '# Answer.',
      'bool ok',
    ].join('\n');
    const parsed = parseInterface(text, srv()) as Extract<ParsedInterface, { kind: 'srv' }>;
    expect(parsed.description).toBe('A test type.\nSecond line.');
    expect(parsed.request.fields).toEqual([
      { name: 'count', type: 'int32', comment: 'The count above the field.\nand after it', line: 5 },
      { name: 'other', type: 'peract_msgs/Other', comment: '', line: 9 },
      { name: 'points', type: 'geometry_msgs/Point[]', comment: '', line: 10 },
      { name: 'xyz', type: 'float64[3]', comment: '', line: 11 },
      { name: 'stamp', type: 'time', comment: '', line: 12 },
    ]);
    expect(parsed.request.constants).toEqual([
      { name: 'LIMIT', type: 'int32', value: 7, comment: 'a constant' },
      { name: 'GREETING', type: 'string', value: 'hello # world', comment: '' },
      { name: 'FLAG', type: 'bool', value: true, comment: '' },
    ]);
    expect(parsed.response).toEqual({ fields: [{ name: 'ok', type: 'bool', comment: 'Answer.', line: 15 }], constants: [] });
  });

  it.each([
    ['float64', 1, /expected "type name"/],
    ['int32 count 3', 1, /default values are not supported/],
    ['bool ok\ngeometry_msgs/point p', 2, /"geometry_msgs\/point" is not a type/],
    ['std-msgs/Header h', 1, /is not a type/],
    ['float64 X', 1, /field name "X" must be lower case/],
    ['float64 bad__name', 1, /field name/],
    ['byte b', 1, /"byte" is not supported by the bridge: use uint8/],
    ['string<=5 s', 1, /bounded strings and arrays/],
    ['float64[<=3] v', 1, /bounded strings and arrays/],
    ['int8 SMALL=300', 1, /300 is outside int8's range/],
    ['int32 N=1.5', 1, /must be an integer/],
    ['bool B=maybe', 1, /must be true or false/],
    ['geometry_msgs/Point P=1', 1, /a constant must be of a primitive type/],
    ['int32 x\n\n# c\nint32 x', 4, /"x" is defined twice/],
    ['int32 x\n---\nint32 y', 2, /a \.msg file has none/],
  ])('rejects %j in a .msg file at line %i', (text, line, problem) => {
    const err = parseError(text, msg('msgs/peract_msgs/msg/Test.msg'));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.field).toBe(`msgs/peract_msgs/msg/Test.msg:${line}`);
    expect(err.message.startsWith(`msgs/peract_msgs/msg/Test.msg:${line}: `), err.message).toBe(true);
    expect(err.message).toMatch(problem);
  });

  it('rejects a .srv file without "---" or with two, naming the line', () => {
    expect(parseError('int32 x\nint32 y', srv()).field).toBe('srv/Test.srv:2');
    const err = parseError('int32 x\n---\nint32 y\n---\nint32 z', srv());
    expect(err.field).toBe('srv/Test.srv:4');
    expect(err.message).toMatch(/a second "---"/);
  });

  it('rejects a field of a peract_msgs type that no .msg file defines, naming the file and line', () => {
    const a = parseInterface('# A.\n\nint32 x\nB b', msg('msgs/peract_msgs/msg/A.msg'));
    expect(() => checkLocalTypes([a])).toThrow(/^msgs\/peract_msgs\/msg\/A\.msg:4: field "b": peract_msgs\/B is not a message/);
    const b = parseInterface('int32 y', { ...msg('msgs/peract_msgs/msg/B.msg'), name: 'peract_msgs/B' });
    expect(() => checkLocalTypes([a, b])).not.toThrow();
  });

  it('counts lines from firstLine for a text taken out of a larger file', () => {
    expect(parseError('bool ok\nnot a field line', { ...msg('docs/bridge.md'), firstLine: 120 }).field).toBe('docs/bridge.md:121');
  });
});
