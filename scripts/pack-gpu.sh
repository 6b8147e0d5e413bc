#!/usr/bin/env bash
# Packs entry points of the project so that they run on a bare GPU machine: one with an NVIDIA
# GPU and a Vulkan driver, but no Node.js and no network.
#
#   npm run pack:gpu                      # bench/gpu.ts, the GPU benchmark
#   bash scripts/pack-gpu.sh bench/gpu.ts bin/peract.ts
#
# Dawn's Node binding (npm `webgpu`, the only way tfjs reaches the GPU from Node) is taken from
# node_modules or fetched. It writes .gpu/ in the project root (git-ignored):
#   .gpu/node.xz       this machine's Node.js binary, compressed
#   .gpu/debs/         the Vulkan / GL loader packages the GPU machine lacks
#   .gpu/app/*.mjs     one self-contained bundle per entry (esbuild), plus the tfjs wasm files
#   .gpu/app/node_modules/webgpu   Dawn's Node.js binding (linux-x64 only), kept external
#   .gpu/run           run on the GPU machine:  bash .gpu/run gpu.mjs [args...]
#
# Then copy .gpu/ to the GPU machine and run, from the folder that holds it:
#   bash .gpu/run gpu.mjs --backend webgpu
# It must stay under 64 MiB in all (the pack prints its size).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: scripts/pack-gpu.sh ENTRY.ts [ENTRY2.ts ...]" >&2; exit 2; }
root=$(git rev-parse --show-toplevel)
cd "$root"
rm -rf .gpu && mkdir -p .gpu/debs .gpu/app/node_modules/webgpu/dist/linux-x64
xz -T2 -6 -c "$(readlink -f "$(command -v node)")" > .gpu/node.xz
( o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/gpu-apt-lists'
  mkdir -p /tmp/gpu-apt-lists/partial
  [ -n "$(ls /tmp/gpu-apt-lists/*Packages* 2>/dev/null)" ] || apt-get $o update >/dev/null 2>&1
  cd .gpu/debs && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null 2>&1 ) \
  || { echo "pack-gpu: could not download the Vulkan loader packages" >&2; exit 1; }
banner="import { createRequire as __cr } from 'module'; import { fileURLToPath as __fu } from 'url'; import { dirname as __dn } from 'path'; const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);"
esb="npx --yes esbuild@0.28.2"
[ -x node_modules/.bin/esbuild ] && esb=node_modules/.bin/esbuild
for entry in "$@"; do
  name=$(basename "${entry%.*}")
  $esb "$entry" --bundle --platform=node --format=esm --target=node20 --external:webgpu \
    --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu \
    --banner:js="$banner" --outfile=".gpu/app/$name.mjs" --log-level=warning
done
cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm .gpu/app/ 2>/dev/null || true
# Dawn's binding: the project's own when installed, else fetched into a scratch folder (it is an
# optional peer dependency, so a clone does not have it).
wg=node_modules/webgpu
if [ ! -d "$wg" ]; then
  scratch=$(mktemp -d)
  npm install --prefix "$scratch" --no-audit --no-fund --no-save webgpu@0.6.2 >/dev/null 2>&1 \
    || { echo "pack-gpu: could not install webgpu (Dawn's Node binding)" >&2; exit 1; }
  wg=$scratch/node_modules/webgpu
fi
cp "$wg/index.js" "$wg/package.json" .gpu/app/node_modules/webgpu/
cp "$wg/dist/linux-x64/dawn.node" .gpu/app/node_modules/webgpu/dist/linux-x64/
cat > .gpu/run <<'RUN'
#!/usr/bin/env bash
# On the GPU machine: bash .gpu/run BUNDLE.mjs [args...]
set -e
here=$(cd "$(dirname "$0")" && pwd)
for f in "$here"/debs/*.deb; do dpkg -x "$f" /; done; ldconfig
[ -x /tmp/node ] || { xz -dc "$here/node.xz" > /tmp/node; chmod +x /tmp/node; }
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
export PATH=/tmp:$PATH
script=$1; shift
cd "$here/app" && exec /tmp/node "$script" "$@"
RUN
chmod +x .gpu/run
du -sh .gpu | awk '{print "pack-gpu: .gpu is " $1 " (keep it under 64 MiB)"}'
