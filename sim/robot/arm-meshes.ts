import { BoxGeometry, CylinderGeometry, Group, Mesh, MeshStandardMaterial, Quaternion, SphereGeometry, Vector3 } from 'three';
import { assertFiniteNumber, invalidArgument, type Pose } from '../../core/index.js';
import { PANDA_FINGER_HALF_EXTENTS_METRES, PANDA_HAND_BOX, PANDA_LINK_CAPSULES } from './collision.js';
import { FRAME_COUNT, FRAME_HAND, PANDA_FINGER_MAX_METRES, PANDA_TCP_OFFSET_METRES, assertJointVector, computeFrames, rowMajorFromPose } from './panda-kinematics.js';

/**
 * three.js meshes of the Panda: one group per link frame, holding a cylinder with rounded ends
 * per collision capsule (so what is drawn is what is checked), the hand and two finger boxes.
 * Every mesh carries `userData.objectId` (ROBOT_ARM_OBJECT_ID or ROBOT_GRIPPER_OBJECT_ID) for
 * the camera masks.
 */

export const ROBOT_ARM_OBJECT_ID = 1000;
export const ROBOT_GRIPPER_OBJECT_ID = 1001;

const WHITE = 0xf2f2f2;
const GREY = 0x3a3a3a;

export interface ArmMeshes {
  /** Add this to the scene; its children are posed by `updateArmMeshes`. */
  root: Group;
  /** Index = FK frame (0 base .. 10 tool). */
  linkGroups: Group[];
  leftFinger: Mesh;
  rightFinger: Mesh;
  basePose?: Pose;
}

function capsuleMeshes(from: Vector3, to: Vector3, radius: number, material: MeshStandardMaterial, objectId: number): Mesh[] {
  const axis = new Vector3().subVectors(to, from);
  const length = axis.length();
  const body = new Mesh(new CylinderGeometry(radius, radius, Math.max(length, 1e-4), 16), material);
  body.position.copy(from).addScaledVector(axis, 0.5);
  // CylinderGeometry runs along +y.
  if (length > 1e-9) body.quaternion.setFromUnitVectors(new Vector3(0, 1, 0), axis.clone().normalize());
  const caps = [from, to].map((p) => {
    const cap = new Mesh(new SphereGeometry(radius, 16, 8), material);
    cap.position.copy(p);
    return cap;
  });
  const meshes = [body, ...caps];
  for (const m of meshes) m.userData.objectId = objectId;
  return meshes;
}

/** Builds the arm and gripper meshes (posed at q = 0 until the first update). */
export function createArmMeshes(options: { basePose?: Pose } = {}): ArmMeshes {
  if (options.basePose) rowMajorFromPose(options.basePose, 'options.basePose');
  const root = new Group();
  root.name = 'panda';
  const linkGroups: Group[] = [];
  for (let i = 0; i < FRAME_COUNT; i++) {
    const g = new Group();
    g.name = `panda_frame_${i}`;
    linkGroups.push(g);
    root.add(g);
  }
  const white = new MeshStandardMaterial({ color: WHITE, roughness: 0.5 });
  const grey = new MeshStandardMaterial({ color: GREY, roughness: 0.6 });

  // Base: a short cylinder standing on the base frame, z up.
  const base = new Mesh(new CylinderGeometry(0.09, 0.1, 0.14, 20), white);
  base.rotation.x = Math.PI / 2;
  base.position.set(0, 0, 0.07);
  base.userData.objectId = ROBOT_ARM_OBJECT_ID;
  linkGroups[0].add(base);

  PANDA_LINK_CAPSULES.forEach((c, i) => {
    // Alternate white and grey joints like the real arm's housings.
    const material = i % 3 === 1 ? grey : white;
    for (const m of capsuleMeshes(new Vector3(...c.from), new Vector3(...c.to), c.radiusMetres, material, ROBOT_ARM_OBJECT_ID)) linkGroups[c.frame].add(m);
  });

  const hb = PANDA_HAND_BOX.halfExtentsMetres;
  const hand = new Mesh(new BoxGeometry(2 * hb[0], 2 * hb[1], 2 * hb[2]), white);
  hand.position.set(...PANDA_HAND_BOX.centre);
  hand.userData.objectId = ROBOT_GRIPPER_OBJECT_ID;
  linkGroups[FRAME_HAND].add(hand);
  const fh = PANDA_FINGER_HALF_EXTENTS_METRES;
  const fingerGeometry = new BoxGeometry(2 * fh[0], 2 * fh[1], 2 * fh[2]);
  const leftFinger = new Mesh(fingerGeometry, grey);
  const rightFinger = new Mesh(fingerGeometry, grey);
  for (const f of [leftFinger, rightFinger]) {
    f.userData.objectId = ROBOT_GRIPPER_OBJECT_ID;
    linkGroups[FRAME_HAND].add(f);
  }
  const meshes: ArmMeshes = { root, linkGroups, leftFinger, rightFinger, basePose: options.basePose };
  updateArmMeshes(meshes, [0, 0, 0, 0, 0, 0, 0], PANDA_FINGER_MAX_METRES);
  return meshes;
}

const frames = new Float64Array(FRAME_COUNT * 16);
const scratchPos = new Vector3();
const scratchQuat = new Quaternion();

/**
 * Poses the meshes for joint configuration `q` and each finger's opening (0 - 0.04 m), then
 * updates the world matrices so renderers that read `matrixWorld` see the new pose.
 */
export function updateArmMeshes(meshes: ArmMeshes, q: ArrayLike<number>, fingerOpeningMetres: number): void {
  assertJointVector(q, 'q');
  assertFiniteNumber(fingerOpeningMetres, 'fingerOpeningMetres');
  if (fingerOpeningMetres < 0 || fingerOpeningMetres > PANDA_FINGER_MAX_METRES + 1e-9) {
    throw invalidArgument('fingerOpeningMetres', `must be within 0 - ${PANDA_FINGER_MAX_METRES}, got ${fingerOpeningMetres}`);
  }
  computeFrames(q, meshes.basePose ? rowMajorFromPose(meshes.basePose, 'basePose') : null, frames);
  for (let i = 0; i < FRAME_COUNT; i++) {
    const o = i * 16;
    const g = meshes.linkGroups[i];
    // Matrix4.set takes row-major arguments.
    g.matrix.set(
      frames[o], frames[o + 1], frames[o + 2], frames[o + 3],
      frames[o + 4], frames[o + 5], frames[o + 6], frames[o + 7],
      frames[o + 8], frames[o + 9], frames[o + 10], frames[o + 11],
      0, 0, 0, 1,
    );
    g.matrix.decompose(scratchPos, scratchQuat, g.scale);
    g.position.copy(scratchPos);
    g.quaternion.copy(scratchQuat);
  }
  const fh = PANDA_FINGER_HALF_EXTENTS_METRES;
  const z = PANDA_TCP_OFFSET_METRES + 0.01 - fh[2];
  meshes.leftFinger.position.set(0, fingerOpeningMetres + fh[1], z);
  meshes.rightFinger.position.set(0, -fingerOpeningMetres - fh[1], z);
  meshes.root.updateMatrixWorld(true);
}
