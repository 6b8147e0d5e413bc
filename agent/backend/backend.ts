/**
 * Picks the TensorFlow.js backend (docs/design.md, Tensor backends): `tensorflow` (opt-in native
 * bindings), `webgpu` (Dawn through the npm `webgpu` package), `wasm`, `cpu`, in that order.
 * `PERACT_BACKEND` or the argument forces one; a forced backend that cannot start throws
 * BACKEND_UNAVAILABLE with the reason, an unforced one falls through to the next.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PeractError, invalidArgument } from '../../core/index.js';
import './tf-setup.js'; // the cpu backend and the gradients training needs

export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

export interface SelectedBackend {
  name: BackendName;
  tf: typeof tf;
}

type Attempt = { ok: true } | { ok: false; reason: string };

const require = createRequire(import.meta.url);

function isBackendName(value: string): value is BackendName {
  return (BACKEND_ORDER as readonly string[]).includes(value);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] : String(err);
}

/** Dynamic import through a variable so bundlers and tsc do not require optional packages. */
async function importOptional(specifier: string): Promise<unknown> {
  return import(specifier) as Promise<unknown>;
}

async function activate(name: string): Promise<Attempt> {
  try {
    // setBackend resolves false (it does not throw) when the backend failed to initialise.
    const ok = await tf.setBackend(name);
    if (!ok) return { ok: false, reason: `tf.setBackend('${name}') returned false` };
    await tf.ready();
    if (tf.getBackend() !== name) return { ok: false, reason: `active backend is ${tf.getBackend()} after setBackend('${name}')` };
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: message(err) };
  }
}

async function tryTensorflow(): Promise<Attempt> {
  const reasons: string[] = [];
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      require.resolve(pkg);
    } catch {
      reasons.push(`${pkg} is not installed`);
      continue;
    }
    try {
      await importOptional(pkg); // registers the 'tensorflow' backend
    } catch (err) {
      reasons.push(`${pkg} failed to load: ${message(err)}`);
      continue;
    }
    const attempt = await activate('tensorflow');
    if (attempt.ok) return attempt;
    reasons.push(`${pkg}: ${attempt.reason}`);
  }
  return { ok: false, reason: reasons.join('; ') };
}

interface WebGpuModule {
  create?: (options: string[]) => unknown;
  globals?: Record<string, unknown>;
}

async function tryWebgpu(): Promise<Attempt> {
  try {
    require.resolve('webgpu');
  } catch {
    return { ok: false, reason: 'webgpu (Dawn) is not installed' };
  }
  try {
    const dawn = (await importOptional('webgpu')) as WebGpuModule;
    const nav = globalThis as unknown as { navigator?: { gpu?: unknown } };
    if (!nav.navigator?.gpu) {
      if (dawn.globals) Object.assign(globalThis, dawn.globals);
      if (!dawn.create) return { ok: false, reason: 'the webgpu package has no create()' };
      const gpu = dawn.create([]);
      if (typeof navigator === 'undefined') {
        Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
      } else {
        Object.defineProperty(navigator, 'gpu', { value: gpu, configurable: true });
      }
    }
    const gpu = (globalThis as unknown as { navigator: { gpu: { requestAdapter(): Promise<unknown> } } }).navigator.gpu;
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { ok: false, reason: 'no WebGPU adapter found' };
    // A dependency, imported by name so a bundle carries it; only now, as it registers itself
    // only when navigator.gpu exists.
    await import('@tensorflow/tfjs-backend-webgpu');
  } catch (err) {
    return { ok: false, reason: `webgpu failed to load: ${message(err)}` };
  }
  return activate('webgpu');
}

let wasmPathsSet = false;

async function tryWasm(): Promise<Attempt> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (!wasmPathsSet) {
      // In Node the .wasm binaries are read from disk: the package's dist/ folder, or, in a bundle
      // (a single-file bundle for a bare GPU machine, with the .wasm files copied next to it), the
      // bundle's own folder.
      const here = dirname(fileURLToPath(import.meta.url));
      const dist = existsSync(join(here, 'tfjs-backend-wasm.wasm')) ? here : join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
      wasm.setWasmPaths(`${dist}/`);
      wasmPathsSet = true;
    }
  } catch (err) {
    return { ok: false, reason: `@tensorflow/tfjs-backend-wasm failed to load: ${message(err)}` };
  }
  return activate('wasm');
}

const starters: Record<BackendName, () => Promise<Attempt>> = {
  tensorflow: tryTensorflow,
  webgpu: tryWebgpu,
  wasm: tryWasm,
  cpu: () => activate('cpu'),
};

/**
 * Starts a backend and makes it tf's active one. `requested` wins over `PERACT_BACKEND`;
 * without either the first backend of BACKEND_ORDER that starts is used.
 */
export async function selectBackend(requested?: BackendName): Promise<SelectedBackend> {
  const fromEnv = process.env.PERACT_BACKEND?.trim();
  const forced = requested ?? (fromEnv ? fromEnv : undefined);
  if (forced !== undefined) {
    const field = requested !== undefined ? 'backend' : 'PERACT_BACKEND';
    if (!isBackendName(forced)) {
      throw invalidArgument(field, `must be one of ${BACKEND_ORDER.join(', ')}, got ${JSON.stringify(forced)}`);
    }
    const attempt = await starters[forced]();
    if (!attempt.ok) {
      throw new PeractError('BACKEND_UNAVAILABLE', `backend '${forced}' cannot start: ${attempt.reason}`, { field });
    }
    return { name: forced, tf };
  }
  const reasons: string[] = [];
  for (const name of BACKEND_ORDER) {
    const attempt = await starters[name]();
    if (attempt.ok) return { name, tf };
    reasons.push(`${name}: ${attempt.reason}`);
  }
  throw new PeractError('BACKEND_UNAVAILABLE', `no backend could start (${reasons.join('; ')})`);
}
