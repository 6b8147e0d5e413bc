/** The files of a run folder besides its checkpoints: metrics.jsonl and the curves drawn from it. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PeractError, writeFileAtomic } from '../../core/index.js';
import { writeTrainingCurvePng } from '../../viz/index.js';

/** Drops metric lines past the checkpoint a resumed run restarts from. */
export async function trimMetrics(runDir: string, step: number): Promise<void> {
  const path = join(runDir, 'metrics.jsonl');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return;
  }
  const kept = text
    .split('\n')
    .filter((line) => {
      if (!line.trim()) return false;
      try {
        return (JSON.parse(line) as { step: number }).step <= step;
      } catch {
        return false; // a line cut by a kill
      }
    })
    .map((l) => `${l}\n`)
    .join('');
  await writeFileAtomic(path, kept);
}

/** Writes `loss.png` and `accuracy.png` (and SVGs) from metrics.jsonl. */
export async function writeCurves(runDir: string): Promise<void> {
  const path = join(runDir, 'metrics.jsonl');
  const text = await readFile(path, 'utf8').catch((err: unknown) => {
    throw new PeractError('NOT_FOUND', 'no metrics.jsonl (is this a run folder?)', { field: path, cause: err });
  });
  const rows: Record<string, number>[] = [];
  for (const line of text.split('\n')) {
    try {
      if (line.trim()) rows.push(JSON.parse(line) as Record<string, number>);
    } catch {
      // the line being written by a running trainer
    }
  }
  if (rows.length === 0) return;
  const series = (key: string, name = key) => ({ name, points: rows.filter((r) => Number.isFinite(r[key])).map((r) => [r.step, r[key]] as [number, number]) });
  await writeTrainingCurvePng(join(runDir, 'loss.png'), [series('total'), series('translation'), series('rotation'), series('gripper'), series('collision')], {
    title: 'training loss',
    yLabel: 'cross-entropy',
    logY: true,
  });
  await writeTrainingCurvePng(
    join(runDir, 'accuracy.png'),
    [
      series('acc_translation', 'voxel'),
      series('acc_translationNear', 'voxel +-1'),
      series('acc_rotation', 'rotation'),
      series('acc_gripper', 'gripper'),
      series('acc_collision', 'collision'),
      series('val_translationNear', 'held-out voxel +-1'),
      series('val_coarseNear', 'held-out coarse voxel +-1'),
      series('val_rotation', 'held-out rotation'),
    ].filter((s) => s.points.length > 0),
    { title: 'accuracy (training probe batch; held-out batch with --val)', yLabel: 'fraction correct' },
  );
  await writeFile(join(runDir, 'metrics.csv'), ['step,total', ...rows.map((r) => `${r.step},${r.total}`)].join('\n'));
}
