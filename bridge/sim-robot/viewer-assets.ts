import { existsSync } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The viewer's files over plain HTTP: the page, its script, and three.js and roslib with
 * roslib's dependencies straight from node_modules, wired by an import map. No CDN: the
 * machines this runs on often have no internet.
 *
 * Paths are checked after percent-decoding (`%2f..%2f` is a `/../` like any other): a decoded
 * path with a `.` or `..` segment, a backslash or a NUL is refused, a vendor file must lie inside
 * its own package's folder (symbolic links resolved), and only the listed file types are served.
 */

/** Browser entry points of the packages the page imports (bare specifier -> file in the package). */
const VENDOR_ENTRIES: Record<string, string> = {
  three: 'three/build/three.module.js',
  'three/addons/': 'three/examples/jsm/',
  roslib: 'roslib/dist/RosLib.js',
  // Its index.mjs imports the CommonJS index.js as a default export, which browsers cannot do.
  eventemitter3: 'cjs/eventemitter3/index.js',
  uuid: 'uuid/dist/index.js',
  bson: 'bson/lib/bson.mjs',
  cbor2: 'cbor2/lib/index.js',
  '@cto.af/wtf8': '@cto.af/wtf8/lib/index.js',
  'fast-png': 'fast-png/lib/index.js',
  fflate: 'fflate/esm/browser.js',
  iobuffer: 'iobuffer/lib/iobuffer.js',
};

/** CommonJS files served wrapped as ES modules (default export = module.exports). */
const CJS_FILES = new Set(['eventemitter3/index.js']);

/** Packages (by folder under node_modules) the page may load files from. */
const VENDOR_PACKAGES = ['three', 'roslib', 'eventemitter3', 'uuid', 'bson', 'cbor2', '@cto.af/wtf8', 'fast-png', 'fflate', 'iobuffer'];

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
};

const here = dirname(fileURLToPath(import.meta.url));

/** The viewer folder: next to this file in the source tree, or found from the package root when built. */
function viewerDir(): string {
  for (const candidate of [join(here, 'viewer'), join(here, '..', '..', '..', 'bridge', 'sim-robot', 'viewer')]) {
    if (existsSync(join(candidate, 'index.html'))) return candidate;
  }
  return join(here, 'viewer');
}

function nodeModulesDir(): string {
  let dir = here;
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'node_modules');
    if (existsSync(join(candidate, 'three'))) return candidate;
    dir = dirname(dir);
  }
  return join(here, '..', 'node_modules');
}

function importMap(): { imports: Record<string, string> } {
  return { imports: Object.fromEntries(Object.entries(VENDOR_ENTRIES).map(([k, v]) => [k, `/vendor/${v}`])) };
}

/** An HTTP handler for BridgeServer's `http` option. */
export function createViewerHandler(): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const viewer = viewerDir();
  const modules = nodeModulesDir();
  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const url = new URL(req.url ?? '/', 'http://localhost');
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      send(res, 400, 'text/plain; charset=utf-8', 'bad request: malformed percent-encoding in the path');
      return true;
    }
    if (!safePath(path)) return false;
    let file: string | null = null;
    if (path === '/' || path === '/index.html') {
      const html = (await readFile(join(viewer, 'index.html'), 'utf8')).replace('__IMPORT_MAP__', JSON.stringify(importMap()));
      send(res, 200, CONTENT_TYPES['.html'], html);
      return true;
    }
    if (path === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return true;
    }
    if (path.startsWith('/vendor/cjs/') && CJS_FILES.has(path.slice('/vendor/cjs/'.length))) {
      const source = await readFile(join(modules, path.slice('/vendor/cjs/'.length)), 'utf8');
      send(res, 200, CONTENT_TYPES['.js'], wrapCommonJs(source));
      return true;
    }
    if (path.startsWith('/viewer/')) file = await inside(viewer, path.slice('/viewer/'.length));
    else if (path.startsWith('/vendor/')) {
      const rest = path.slice('/vendor/'.length);
      const pkg = VENDOR_PACKAGES.find((p) => rest.startsWith(`${p}/`));
      if (pkg) file = await inside(join(modules, pkg), rest.slice(pkg.length + 1));
    }
    if (!file || !Object.hasOwn(CONTENT_TYPES, extname(file))) return false;
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return false;
    }
    send(res, 200, CONTENT_TYPES[extname(file)], body);
    return true;
  };
}

function wrapCommonJs(source: string): string {
  return `const module = { exports: {} };\n(function (module, exports) {\n${source}\n})(module, module.exports);\nexport default module.exports;\nexport const EventEmitter = module.exports.EventEmitter ?? module.exports;\n`;
}

/** A decoded URL path without `.`/`..` segments, empty segments, backslashes or NULs. */
function safePath(path: string): boolean {
  if (!path.startsWith('/') || path.includes('\\') || path.includes('\0')) return false;
  const segments = path.slice(1).split('/');
  // The last segment may be empty ("/" itself); no other may be.
  return segments.every((s, i) => s !== '.' && s !== '..' && (s !== '' || i === segments.length - 1));
}

/** `root/rel` when it exists and stays inside root, symbolic links resolved; else null. */
async function inside(root: string, rel: string): Promise<string | null> {
  const full = resolve(root, rel);
  if (!full.startsWith(resolve(root) + sep)) return null;
  try {
    const [realRoot, realFull] = await Promise.all([realpath(root), realpath(full)]);
    return realFull.startsWith(realRoot + sep) ? realFull : null;
  } catch {
    return null;
  }
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
  res.end(body);
}
