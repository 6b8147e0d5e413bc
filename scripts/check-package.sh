#!/usr/bin/env bash
# The package as a user gets it: packs it as `npm publish` would (prepack builds dist/), installs
# the tarball into an empty folder, and there runs the installed `peract` (--help, --version,
# start for one episode, act, serve with its viewer and the shipped agent), loads every subpath
# export in Node and type-checks an import of each with skipLibCheck false.
# Needs the npm registry (the install); takes a few minutes. KEEP=1 keeps the folder.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/peract-package-XXXXXX")"
if [ "${KEEP:-0}" = 1 ]; then echo "work folder: $work"; else trap 'rm -rf "$work"' EXIT; fi
step() { printf '\n== %s\n' "$*"; }
SUBPATHS=(core perception dataset agent viz sim bridge)

step "npm pack"
(cd "$root" && npm pack --pack-destination "$work" >"$work/pack.log" 2>&1) || { cat "$work/pack.log"; exit 1; }
tarball="$(ls "$work"/peract-runtime-*.tgz)"
echo "$(basename "$tarball"): $(du -h "$tarball" | cut -f1), $(tar -tzf "$tarball" | wc -l) files"
if tar -tzf "$tarball" | grep -E '\.map$|^package/(test|bench|scripts)/|\.ts$' | grep -v '\.d\.ts$'; then
  echo "the tarball ships the files above, which no user needs" >&2
  exit 1
fi

step "npm install the tarball into an empty folder"
consumer="$work/consumer"
mkdir -p "$consumer"
cd "$consumer"
npm init -y >/dev/null
npm pkg set type=module
start_s=$SECONDS
npm install "$tarball" --no-audit --no-fund --loglevel=error
echo "installed in $((SECONDS - start_s)) s; node_modules: $(du -sh node_modules | cut -f1)"
# cbor-x's optional native helper: one copy, a version whose platform packages exist, so the
# consumer's own lock file is complete and `npm ci` accepts it.
npm ls cbor-extract --all | tail -n +2
npm ci --dry-run --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
echo "npm ci --dry-run: the consumer's lock file is in sync"

step "npx peract --help / --version"
npx peract --help | head -n 5
version="$(npx peract --version)"
expected="$(node -p "require('./node_modules/peract-runtime/package.json').version")"
[ "$version" = "$expected" ] || { echo "peract --version says $version, package.json $expected" >&2; exit 1; }
echo "version $version"

step "npx peract start --episodes 1"
npx peract start --episodes 1 --out "$work/start" | tail -n 4
ls "$work/start"/*.png >/dev/null

step "npx peract act --task reach_target --goal ..."
npx peract act --task reach_target --goal "touch the red ball with the panda gripper" --picture "$work/act.png" | tail -n 3
test -s "$work/act.png"

step "npx peract serve (viewer and the shipped agent)"
cat >serve-check.mjs <<'EOF'
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';

// Its own process group: npx does not pass a signal on to the server, a group signal reaches it.
const serve = spawn('npx', ['peract', 'serve', '--port', '0', '--task', 'reach_target'], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
const exited = new Promise((resolve) => serve.once('exit', resolve));
try {
  const first = await Promise.race([
    new Promise((resolve) => createInterface({ input: serve.stdout }).once('line', resolve)),
    exited.then((code) => { throw new Error(`peract serve exited (${code}) before its ready line`); }),
    new Promise((_, reject) => setTimeout(() => reject(new Error('no ready line in 120 s')), 120_000)),
  ]);
  const info = JSON.parse(first);
  if (!String(info.agent).endsWith('models/peract-c2f')) throw new Error(`serve loaded ${info.agent}, not the shipped model`);
  console.log(`serve: ${info.rosbridge}, agent ${info.agent.replace(process.cwd(), '.')} on ${info.backend}`);
  for (const path of ['/', '/viewer/viewer.js', '/viewer/viewer.css', '/vendor/three/build/three.module.js', '/vendor/roslib/dist/RosLib.js']) {
    const res = await fetch(new URL(path, info.viewer));
    const body = await res.text();
    if (res.status !== 200 || body.length === 0) throw new Error(`viewer ${path}: HTTP ${res.status}`);
    if (path === '/' && !body.includes('importmap')) throw new Error('the viewer page has no import map');
    console.log(`viewer ${path}: ${res.status}, ${body.length} bytes`);
  }
  const ws = new WebSocket(info.rosbridge);
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const reply = new Promise((resolve) => ws.on('message', (data) => {
    const msg = JSON.parse(String(data));
    if (msg.op === 'service_response' && msg.id === 'act') resolve(msg);
  }));
  ws.send(JSON.stringify({ op: 'call_service', service: '/peract/act', args: { goal: '', execute: false }, id: 'act' }));
  const act = await Promise.race([reply, new Promise((_, reject) => setTimeout(() => reject(new Error('no /peract/act answer in 60 s')), 60_000))]);
  ws.close();
  if (!act.result || !act.values?.success) throw new Error(`/peract/act: ${JSON.stringify(act)}`);
  console.log(`/peract/act: success, target ${JSON.stringify(act.values.target?.position ?? act.values.target)}`);
} finally {
  process.kill(-serve.pid, 'SIGINT');
  const late = setTimeout(() => process.kill(-serve.pid, 'SIGKILL'), 20_000);
  console.log(`serve stopped on SIGINT (exit code ${await exited})`);
  clearTimeout(late);
}
EOF
node serve-check.mjs

step "every subpath export loads in Node and type-checks with skipLibCheck false"
list="$(printf '%s, ' "${SUBPATHS[@]}")"
{
  for s in "${SUBPATHS[@]}"; do echo "import * as $s from 'peract-runtime/$s';"; done
  echo "const modules: Record<string, object> = { ${list%, } };"
  echo "for (const [name, m] of Object.entries(modules)) console.log(\`peract-runtime/\${name}: \${Object.keys(m).length} exports\`);"
} >check.ts
cat >tsconfig.json <<'EOF'
{
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "skipLibCheck": false,
    "outDir": "out"
  },
  "files": ["check.ts"]
}
EOF
"$root/node_modules/.bin/tsc" -p . && echo "tsc (skipLibCheck false): no errors"
node out/check.js

step "done: the installed package works"
