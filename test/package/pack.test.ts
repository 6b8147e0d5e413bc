/**
 * The npm package as `npm pack` makes it: its file list (prepack builds dist/ first) and the
 * rules on its dependencies. No network. scripts/check-package.sh installs the tarball and
 * runs it; this test is the fast half.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface PackageJson {
  version: string;
  bin: Record<string, string>;
  exports: Record<string, { types: string; import: string }>;
  scripts: Record<string, string>;
  files: string[];
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  overrides?: Record<string, string>;
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;
const TFJS_VERSION = '4.22.0';

let files: Set<string>;
beforeAll(() => {
  // Runs prepack (clean + build) as `npm pack` and `npm publish` do, then lists the files.
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--loglevel=error'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  // Lifecycle scripts print before the JSON on stdout.
  const report = JSON.parse(out.slice(out.indexOf('[\n'))) as { files: { path: string }[] }[];
  files = new Set(report[0].files.map((f) => f.path));
}, 180_000);

/** Every file under a folder of the repository, as package paths. */
function walk(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(posix.join(dir, e.name)) : [posix.join(dir, e.name)]));
}

const strip = (p: string) => p.replace(/^\.\//, '');

describe('npm pack', () => {
  it('builds first: prepack cleans dist/ and runs the build', () => {
    expect(pkg.scripts.prepack).toMatch(/clean.*build/);
  });

  it('ships the JavaScript and declarations of every export and the bin', () => {
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue; // ./package.json
      expect(files, `${subpath} import`).toContain(strip(target.import));
      expect(files, `${subpath} types`).toContain(strip(target.types));
    }
    for (const bin of Object.values(pkg.bin)) expect(files).toContain(strip(bin));
    expect(readFileSync(join(root, pkg.bin.peract), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
    // Every module has its declarations.
    for (const f of files) if (f.endsWith('.js') && f.startsWith('dist/')) expect(files, f).toContain(f.replace(/\.js$/, '.d.ts'));
  });

  it('ships the models, the viewer, the ROS interface package, README, LICENSE and package.json', () => {
    for (const f of [...walk('models'), ...walk('bridge/sim-robot/viewer'), ...walk('msgs')]) expect(files, f).toContain(f);
    for (const f of ['package.xml', 'CMakeLists.txt', 'msg/Command.msg', 'srv/Execute.srv']) expect(files).toContain(`msgs/peract_msgs/${f}`);
    expect(walk('models').some((f) => f.endsWith('model.safetensors'))).toBe(true);
    for (const f of ['README.md', 'LICENSE', 'package.json']) expect(files).toContain(f);
  });

  it('ships no tests, benchmarks, scripts, TypeScript sources or source maps', () => {
    const unwanted = [...files].filter(
      (f) => /^(dist\/)?(test|bench|scripts|scratch|runs|data|eval)\//.test(f) || f.endsWith('.map') || (f.endsWith('.ts') && !f.endsWith('.d.ts')),
    );
    expect(unwanted).toEqual([]);
    // Only what "files" names, plus the files npm always adds.
    for (const f of files) expect(['dist/', 'bridge/sim-robot/viewer/', 'models/', 'msgs/'].some((d) => f.startsWith(d)) || ['README.md', 'LICENSE', 'package.json'].includes(f), f).toBe(true);
    // No emitted file points at a source map.
    for (const f of files) if (f.endsWith('.js')) expect(readFileSync(join(root, f), 'utf8'), f).not.toMatch(/sourceMappingURL/);
  });
});

/** The package a bare specifier names ('node:x' and Node built-ins: node). */
function packageOf(specifier: string): string {
  const bare = specifier.replace(/^node:/, '');
  if (specifier.startsWith('node:') || builtinModules.includes(bare.split('/')[0])) return 'node';
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The package that declares a package's types: itself when it ships them, else its @types package. */
function typesPackageOf(name: string): string {
  if (name === 'node') return '@types/node';
  if (name.startsWith('@types/')) return name;
  const dir = join(root, 'node_modules', name);
  const meta = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { types?: string; typings?: string; exports?: unknown };
  const shipsTypes = Boolean(meta.types ?? meta.typings) || JSON.stringify(meta.exports ?? {}).includes('"types"') || existsSync(join(dir, 'index.d.ts'));
  return shipsTypes ? name : `@types/${name.replace(/^@/, '').replace('/', '__')}`;
}

const SPECIFIERS = [/\bfrom\s+['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /^\s*import\s+['"]([^'"]+)['"]/gm, /<reference\s+types="([^"]+)"/g];

function specifiersIn(source: string): string[] {
  return SPECIFIERS.flatMap((re) => [...source.matchAll(re)].map((m) => m[1]));
}

/** The declaration files a consumer's compiler reads from the exports, and the packages they import. */
function publicDeclarations(): { files: string[]; packages: Map<string, string> } {
  const seen = new Set<string>();
  const packages = new Map<string, string>(); // package -> a declaration file importing it
  const queue = Object.values(pkg.exports).flatMap((t) => (typeof t === 'string' ? [] : [join(root, t.types)]));
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const s of specifiersIn(readFileSync(file, 'utf8'))) {
      if (s.startsWith('.')) {
        const target = join(dirname(file), s).replace(/\.js$/, '');
        const candidates = [`${target}.d.ts`, join(target, 'index.d.ts')];
        const found = candidates.find((c) => existsSync(c) && statSync(c).isFile());
        expect(found, `${relative(root, file)} imports ${s}`).toBeDefined();
        queue.push(found as string);
      } else if (!packages.has(packageOf(s))) {
        packages.set(packageOf(s), relative(root, file));
      }
    }
  }
  return { files: [...seen], packages };
}

describe('package.json dependencies', () => {
  const runtime = { ...pkg.dependencies, ...(pkg.optionalDependencies ?? {}) };

  it('has every package imported by a public declaration, with its types, as a dependency', () => {
    const { files: declarations, packages } = publicDeclarations();
    expect(declarations.length).toBeGreaterThan(20);
    for (const [name, file] of packages) {
      if (name !== 'node') expect(pkg.dependencies, `${file} imports ${name}`).toHaveProperty([name]);
      expect(pkg.dependencies, `${file} needs the types of ${name}`).toHaveProperty([typesPackageOf(name)]);
    }
  });

  it('has no @types package that no public declaration needs', () => {
    const needed = new Set([...publicDeclarations().packages.keys()].map(typesPackageOf));
    const extra = Object.keys(pkg.dependencies).filter((d) => d.startsWith('@types/') && !needed.has(d));
    expect(extra).toEqual([]);
  });

  it('has every package the shipped JavaScript imports by name', () => {
    const optional = new Set(['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'webgpu']); // backend.ts, when installed
    for (const f of files) {
      if (!f.endsWith('.js') || !f.startsWith('dist/')) continue;
      for (const s of specifiersIn(readFileSync(join(root, f), 'utf8'))) {
        if (s.startsWith('.') || !/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(\/[\w./-]*)?$/.test(s)) continue;
        const name = packageOf(s);
        if (name === 'node' || optional.has(name)) continue;
        expect(runtime, `${f} imports ${s}`).toHaveProperty([name]);
      }
    }
  });

  it('uses tfjs-core and its backends at one exact version, not the @tensorflow/tfjs umbrella', () => {
    expect(pkg.dependencies).not.toHaveProperty(['@tensorflow/tfjs']);
    for (const name of ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu']) {
      expect(pkg.dependencies[name], name).toBe(TFJS_VERSION);
    }
  });

  it('leaves the Dawn binding (webgpu) to the user: an optional peer, `npm install webgpu` away', () => {
    expect(pkg.dependencies).not.toHaveProperty(['webgpu']);
    expect(pkg.peerDependencies).toHaveProperty(['webgpu']);
    expect(pkg.peerDependenciesMeta?.webgpu?.optional).toBe(true);
  });

  it('pins cbor-extract for consumers too, where package.json overrides do not reach', () => {
    const pinned = pkg.optionalDependencies?.['cbor-extract'] as string;
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    // cbor-x's own range must accept the pinned version, or npm installs a second cbor-extract for it.
    const cborX = JSON.parse(readFileSync(join(root, 'node_modules', 'cbor-x', 'package.json'), 'utf8')) as { version: string; optionalDependencies: Record<string, string> };
    expect(cborX.version).toBe(pkg.dependencies['cbor-x']);
    const range = cborX.optionalDependencies['cbor-extract'];
    const [major, minor, patch] = pinned.split('.').map(Number);
    const caret = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(range);
    expect(caret, `cbor-x's range ${range}`).not.toBeNull();
    const [, M, m, p] = (caret as RegExpExecArray).map(Number);
    expect(major === M && (minor > m || (minor === m && patch >= p)), `cbor-extract ${pinned} in ${range}`).toBe(true);
  });

  it('keeps build and test tools out of the dependencies', () => {
    for (const dev of ['typescript', 'vitest', 'tsx', 'eslint', '@types/pngjs', '@types/cli-progress']) expect(pkg.dependencies).not.toHaveProperty([dev]);
  });
});
