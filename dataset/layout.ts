/** Where each part of a dataset lives on disk; the writer and the loader share these names. */

export const MANIFEST_FILE = 'manifest.json';
export const LOWDIM_FILE = 'lowdim.json';
export const CAMERAS_FILE = 'cameras.json';

export type ImageKind = 'rgb' | 'depth' | 'mask';

/** `<task>/ep<seed>`, relative to the dataset folder (always '/', also on Windows). */
export function episodeDirName(task: string, seed: number): string {
  return `${task}/ep${seed}`;
}

/** `<frame>_<camera>_<kind>.png` inside the episode folder. */
export function imageFileName(frame: number, camera: string, kind: ImageKind): string {
  return `${frame}_${camera}_${kind}.png`;
}
