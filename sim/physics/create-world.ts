import { PeractError, assertFiniteNumber, invalidArgument, type Pose } from '../../core/index.js';
import type { SceneSpec } from '../scene.js';
import { sceneToMjcf } from './mjcf.js';
import { loadMujoco, scratchPath } from './mujoco-module.js';
import { MujocoWorld, checkedPose, type WorldSettings } from './mujoco-world.js';
import { FINGER_MAX_OPENING_METRES, type PhysicsOptions, type PhysicsWorld } from './types.js';
import { validateScene } from './validate-scene.js';

/** 1 m above the origin with the hand's +z (approach) pointing down: a 180 degree turn about x. */
const DEFAULT_HAND_POSE: Pose = { positionMetres: [0, 0, 1], quaternion: [1, 0, 0, 0] };

/**
 * Builds a physics world for a scene: validates the spec (errors name the field), generates the
 * engine model with gravity, the scene's bodies and the gripper, and returns the world with the
 * hand at `initialHandPose`. The engine's WebAssembly module loads once per process.
 */
export async function createPhysicsWorld(scene: SceneSpec, options: PhysicsOptions = {}): Promise<PhysicsWorld> {
  const settings = resolveOptions(options);
  const tree = validateScene(scene);
  const mjcf = sceneToMjcf(scene, tree, settings.timestepSec);
  const mj = await loadMujoco();
  const path = scratchPath();
  mj.FS.writeFile(path, mjcf.xml);
  let model;
  try {
    model = mj.MjModel.loadFromXML(path);
  } catch (err) {
    throw new PeractError('INTERNAL', `MuJoCo rejected the model generated from a validated scene (a bug in sim/physics): ${errorText(err)}`, { cause: err });
  } finally {
    mj.FS.unlink(path);
  }
  const data = new mj.MjData(model);
  try {
    return new MujocoWorld(mj, model, data, scene, mjcf, settings);
  } catch (err) {
    data.delete();
    model.delete();
    throw err;
  }
}

function resolveOptions(options: PhysicsOptions): WorldSettings {
  if (!options || typeof options !== 'object') throw invalidArgument('options', 'must be an object');
  const positive = (value: number | undefined, fallback: number, field: string, max = Infinity): number => {
    if (value === undefined) return fallback;
    assertFiniteNumber(value, `options.${field}`);
    if (value <= 0 || value > max) throw invalidArgument(`options.${field}`, `must be in (0, ${max}], got ${value}`);
    return value;
  };
  const opening = options.initialFingerOpeningMetres ?? FINGER_MAX_OPENING_METRES;
  assertFiniteNumber(opening, 'options.initialFingerOpeningMetres');
  if (opening < 0 || opening > FINGER_MAX_OPENING_METRES) {
    throw invalidArgument('options.initialFingerOpeningMetres', `must be in [0, ${FINGER_MAX_OPENING_METRES}], got ${opening}`);
  }
  const graspWindowSec = options.graspWindowSec ?? 1;
  assertFiniteNumber(graspWindowSec, 'options.graspWindowSec');
  if (graspWindowSec < 0) throw invalidArgument('options.graspWindowSec', `must be >= 0, got ${graspWindowSec}`);
  return {
    timestepSec: positive(options.timestepSec, 0.002, 'timestepSec', 0.01),
    initialHandPose: checkedPose(options.initialHandPose ?? DEFAULT_HAND_POSE, 'options.initialHandPose'),
    initialFingerOpeningMetres: opening,
    handLinearSpeedMetresPerSec: positive(options.handLinearSpeedMetresPerSec, 0.5, 'handLinearSpeedMetresPerSec'),
    handAngularSpeedRadPerSec: positive(options.handAngularSpeedRadPerSec, Math.PI, 'handAngularSpeedRadPerSec'),
    graspWindowSec,
  };
}

/** MuJoCo's compile errors arrive as an opaque CppException (name mjXError, no message). */
function errorText(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
