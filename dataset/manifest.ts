import { readJsonChecked } from '../core/index.js';
import { checkManifestConsistency } from './check.js';
import { manifestSchema } from './schema.js';
import { DATASET_FORMAT, DATASET_FORMAT_VERSION, type DatasetManifest } from './types.js';

/**
 * Reads and checks `manifest.json` for the writer and the loader: missing, truncated or
 * schema-mismatched is CORRUPT_FILE, another formatVersion is VERSION_MISMATCH, and entries
 * that contradict themselves (a folder that is not `<task>/ep<seed>`, keyframes out of range,
 * an episode listed twice) are CORRUPT_FILE.
 */
export async function readManifest(manifestPath: string): Promise<DatasetManifest> {
  const manifest = await readJsonChecked(manifestPath, manifestSchema, 'dataset manifest', {
    format: DATASET_FORMAT,
    formatVersion: DATASET_FORMAT_VERSION,
  });
  checkManifestConsistency(manifestPath, manifest);
  return manifest;
}
