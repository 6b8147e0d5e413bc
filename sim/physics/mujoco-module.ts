import type { MainModule } from 'mujoco-js';
import { PeractError } from '../../core/index.js';

let modulePromise: Promise<MainModule> | null = null;

/**
 * MuJoCo's WebAssembly module, instantiated once per process (~100 ms). The 11 MB glue file is
 * imported lazily so that importing sim/ costs nothing until a physics world is made. A failed
 * load is not cached, so a later call retries.
 */
export function loadMujoco(): Promise<MainModule> {
  if (!modulePromise) {
    modulePromise = import('mujoco-js')
      .then((mod) => mod.default())
      .catch((err: unknown) => {
        modulePromise = null;
        throw new PeractError('BACKEND_UNAVAILABLE', `could not load the MuJoCo WebAssembly module (mujoco-js): ${String(err)}`, {
          cause: err,
        });
      });
  }
  return modulePromise;
}

let fileCounter = 0;

/** A fresh path in the module's in-memory file system, for one model file. */
export function scratchPath(): string {
  fileCounter += 1;
  return `/peract_scene_${fileCounter}.xml`;
}
