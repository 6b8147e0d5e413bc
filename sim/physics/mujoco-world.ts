// Over 400 lines: one MuJoCo model and data with the state every method reads and steps (the
// hand target, the finger command, the grasp weld and the cached kinematics); split, each part
// would need all of it. The scene's MJCF is written in mjcf.ts, the gripper's names are in
// gripper.ts.
import { Quaternion, Vector3 } from 'three';
import type { DoubleBuffer, MainModule, MjData, MjModel } from 'mujoco-js';
import {
  PeractError,
  assertFiniteArray,
  assertPositiveInteger,
  canonicalQuaternion,
  invalidArgument,
  type Pose,
} from '../../core/index.js';
import type { SceneSpec } from '../scene.js';
import {
  GRIPPER,
  MJ_FINGER_LEFT,
  MJ_FINGER_LEFT_GEOM,
  MJ_FINGER_LEFT_JOINT,
  MJ_FINGER_RIGHT,
  MJ_FINGER_RIGHT_GEOM,
  MJ_FINGER_RIGHT_JOINT,
  MJ_HAND,
  MJ_HAND_JOINT,
  MJ_HAND_TARGET,
  MJ_PINCH_SENSOR_GEOM,
} from './gripper.js';
import type { MjcfModel } from './mjcf.js';
import { FINGER_MAX_OPENING_METRES, GRIPPER_BODY_NAMES, type ContactPair, type PhysicsWorld } from './types.js';

/** Resolved options (see PhysicsOptions for meanings). */
export interface WorldSettings {
  timestepSec: number;
  initialHandPose: Pose;
  initialFingerOpeningMetres: number;
  handLinearSpeedMetresPerSec: number;
  handAngularSpeedRadPerSec: number;
  graspWindowSec: number;
}

/** mjNEQDATA in MuJoCo 3.x: weld data = anchor(3), relative position(3), relative quat wxyz(4), torque scale(1). */
const EQ_DATA_SIZE = 11;
const STATE_MAGIC = 0x70687931; // "phy1"
/** Header: magic, held scene index, grasp steps left, finger command, hand target (3 + 4). */
const HEADER_SIZE = 11;
/** handAtTarget() tolerances: the drive weld settles to well within these at rest. */
const HAND_AT_TARGET_METRES = 1e-3;
const HAND_AT_TARGET_RAD = 0.01;

// The binding types arrays as `any`; these views are what they really are.
const f64 = (view: unknown): Float64Array => view as Float64Array;
const i32 = (view: unknown): Int32Array => view as Int32Array;
const u8 = (view: unknown): Uint8Array => view as Uint8Array;

export class MujocoWorld implements PhysicsWorld {
  readonly timestepSec: number;

  private readonly mj: MainModule;
  private model: MjModel | null;
  private data: MjData | null;
  private readonly stateBuffer: DoubleBuffer;
  private readonly stateSignature: number;
  private readonly mjStateSize: number;

  private readonly sceneNames: string[];
  private readonly bodyIdByName = new Map<string, number>();
  /** Name reported by contacts() for each MuJoCo body id. */
  private readonly labelOfBody: string[];
  /** Scene index of each MuJoCo body id, -1 for the world and the gripper. */
  private readonly sceneIndexOfBody: Int32Array;
  private readonly geomBody: Int32Array;
  /** qpos address of each scene body's joint, -1 when it has none. */
  private readonly jointQposAdr: number[];
  private readonly handBodyId: number;
  private readonly handQposAdr: number;
  private readonly handDofAdr: number;
  private readonly targetMocapId: number;
  private readonly leftFingerBodyId: number;
  private readonly rightFingerBodyId: number;
  private readonly leftFingerQposAdr: number;
  private readonly rightFingerQposAdr: number;
  private readonly leftPadGeom: number;
  private readonly rightPadGeom: number;
  private readonly pinchSensorGeom: number;
  /** Colliding geoms of each graspable scene body (empty for the others). */
  private readonly graspGeoms: number[][];
  /** Weld equality id per scene index, -1 when the body is not graspable. */
  private readonly weldIdOf: number[];
  private readonly weldIds: number[];

  // Dynamic state besides MuJoCo's own; all of it goes into saveState().
  private heldIndex = -1;
  private graspStepsLeft = 0;
  private fingerCommandMetres: number;
  /** The commanded hand pose (the mocap body the hand is welded to), moving towards the target. */
  private readonly cmdPos = new Vector3();
  private readonly cmdQuat = new Quaternion();
  private readonly targetPos = new Vector3();
  private readonly targetQuat = new Quaternion();

  private kinematicsFresh = false;
  private collisionsFresh = false;
  private readonly graspWindowSteps: number;
  private readonly maxStepMetres: number;
  private readonly maxStepRad: number;
  private readonly fingerStepMetres: number;

  // Scratch objects for the per-step hand motion and grasp checks.
  private readonly tmpVec = new Vector3();
  private readonly tmpQuat = new Quaternion();

  constructor(mj: MainModule, model: MjModel, data: MjData, scene: SceneSpec, mjcf: MjcfModel, settings: WorldSettings) {
    this.mj = mj;
    this.model = model;
    this.data = data;
    this.timestepSec = settings.timestepSec;
    this.graspWindowSteps = Math.round(settings.graspWindowSec / settings.timestepSec);
    this.maxStepMetres = settings.handLinearSpeedMetresPerSec * settings.timestepSec;
    this.maxStepRad = settings.handAngularSpeedRadPerSec * settings.timestepSec;
    this.fingerStepMetres = GRIPPER.fingerSpeedMetresPerSec * settings.timestepSec;

    const id = (type: 'body' | 'joint' | 'geom' | 'equality', name: string): number => {
      const obj = {
        body: mj.mjtObj.mjOBJ_BODY,
        joint: mj.mjtObj.mjOBJ_JOINT,
        geom: mj.mjtObj.mjOBJ_GEOM,
        equality: mj.mjtObj.mjOBJ_EQUALITY,
      }[type];
      const found = mj.mj_name2id(model, obj.value, name);
      if (found < 0) throw new PeractError('INTERNAL', `generated model lacks ${type} "${name}"`);
      return found;
    };

    this.sceneNames = scene.bodies.map((b) => b.name);
    this.labelOfBody = new Array<string>(model.nbody).fill('world');
    this.sceneIndexOfBody = new Int32Array(model.nbody).fill(-1);
    this.jointQposAdr = scene.bodies.map(() => -1);
    const bodyJntAdr = i32(model.body_jntadr);
    const jntQposAdr = i32(model.jnt_qposadr);
    scene.bodies.forEach((body, i) => {
      const bodyId = id('body', mjcf.mjBodyNames[i]);
      this.bodyIdByName.set(body.name, bodyId);
      this.labelOfBody[bodyId] = body.name;
      this.sceneIndexOfBody[bodyId] = i;
      if (body.motion === 'jointed') this.jointQposAdr[i] = jntQposAdr[bodyJntAdr[bodyId]];
    });
    this.handBodyId = id('body', MJ_HAND);
    this.leftFingerBodyId = id('body', MJ_FINGER_LEFT);
    this.rightFingerBodyId = id('body', MJ_FINGER_RIGHT);
    this.labelOfBody[this.handBodyId] = GRIPPER_BODY_NAMES.hand;
    this.labelOfBody[this.leftFingerBodyId] = GRIPPER_BODY_NAMES.leftFinger;
    this.labelOfBody[this.rightFingerBodyId] = GRIPPER_BODY_NAMES.rightFinger;
    this.targetMocapId = i32(model.body_mocapid)[id('body', MJ_HAND_TARGET)];
    const handJoint = id('joint', MJ_HAND_JOINT);
    this.handQposAdr = jntQposAdr[handJoint];
    this.handDofAdr = i32(model.jnt_dofadr)[handJoint];
    this.leftFingerQposAdr = jntQposAdr[id('joint', MJ_FINGER_LEFT_JOINT)];
    this.rightFingerQposAdr = jntQposAdr[id('joint', MJ_FINGER_RIGHT_JOINT)];
    this.geomBody = Int32Array.from(i32(model.geom_bodyid));
    this.leftPadGeom = id('geom', MJ_FINGER_LEFT_GEOM);
    this.rightPadGeom = id('geom', MJ_FINGER_RIGHT_GEOM);
    this.pinchSensorGeom = id('geom', MJ_PINCH_SENSOR_GEOM);
    const geomContype = i32(model.geom_contype);
    const geomConaffinity = i32(model.geom_conaffinity);
    this.graspGeoms = scene.bodies.map((body, i) => {
      if (!mjcf.graspableIndices.includes(i)) return [];
      const bodyId = this.bodyIdByName.get(body.name) as number;
      const out: number[] = [];
      this.geomBody.forEach((b, g) => {
        if (b === bodyId && (geomContype[g] !== 0 || geomConaffinity[g] !== 0)) out.push(g);
      });
      return out;
    });
    this.weldIdOf = scene.bodies.map((_, i) => (mjcf.graspableIndices.includes(i) ? id('equality', mjcf.weldNames[i]) : -1));
    this.weldIds = this.weldIdOf.filter((w) => w >= 0);
    if (model.neq > 0 && f64(model.eq_data).length !== model.neq * EQ_DATA_SIZE) {
      throw new PeractError('INTERNAL', `unexpected MuJoCo equality data size ${f64(model.eq_data).length} for ${model.neq} equalities`);
    }

    this.stateSignature = mj.mjtState.mjSTATE_INTEGRATION.value;
    this.mjStateSize = mj.mj_stateSize(model, this.stateSignature);
    this.stateBuffer = new mj.DoubleBuffer(this.mjStateSize);

    // Start with the fingers already at their commanded opening and the hand at its pose.
    this.fingerCommandMetres = settings.initialFingerOpeningMetres;
    const ctrl = f64(data.ctrl);
    ctrl[0] = ctrl[1] = this.fingerCommandMetres;
    const qpos = f64(data.qpos);
    qpos[this.leftFingerQposAdr] = qpos[this.rightFingerQposAdr] = this.fingerCommandMetres;
    this.setHandTarget(settings.initialHandPose, { teleport: true });
  }

  get timeSec(): number {
    return this.live().data.time;
  }

  step(n = 1): void {
    assertPositiveInteger(n, 'n');
    const { model, data } = this.live();
    for (let k = 0; k < n; k++) {
      this.advanceHand();
      this.advanceFingers(data);
      this.mj.mj_step(model, data);
      if (this.heldIndex < 0 && this.graspStepsLeft > 0) {
        this.graspStepsLeft--;
        this.tryGrasp(model, data);
      }
    }
    this.kinematicsFresh = this.collisionsFresh = false;
  }

  bodyNames(): string[] {
    return this.sceneNames.slice();
  }

  bodyPose(name: string): Pose {
    const bodyId = this.bodyId(name);
    this.ensureKinematics();
    return this.poseOfBody(bodyId);
  }

  jointValue(bodyName: string): number {
    const bodyId = this.bodyId(bodyName);
    const adr = this.jointQposAdr[this.sceneIndexOfBody[bodyId]];
    if (adr < 0) throw invalidArgument('bodyName', `body "${bodyName}" has no joint (it is not 'jointed')`);
    return f64(this.live().data.qpos)[adr];
  }

  setHandTarget(pose: Pose, options: { teleport?: boolean } = {}): void {
    this.live();
    const checked = checkedPose(pose, 'pose');
    this.targetPos.fromArray(checked.positionMetres);
    this.targetQuat.fromArray(checked.quaternion);
    if (options.teleport) {
      this.cmdPos.copy(this.targetPos);
      this.cmdQuat.copy(this.targetQuat);
      this.writeMocap();
      // Move the hand body itself there at rest too; the fingers are its children and follow.
      const { data } = this.live();
      const qpos = f64(data.qpos);
      const a = this.handQposAdr;
      this.cmdPos.toArray(qpos, a);
      qpos[a + 3] = this.cmdQuat.w;
      qpos[a + 4] = this.cmdQuat.x;
      qpos[a + 5] = this.cmdQuat.y;
      qpos[a + 6] = this.cmdQuat.z;
      f64(data.qvel).fill(0, this.handDofAdr, this.handDofAdr + 6);
      this.kinematicsFresh = this.collisionsFresh = false;
    }
  }

  handAtTarget(): boolean {
    this.live();
    if (!this.cmdPos.equals(this.targetPos) || !this.cmdQuat.equals(this.targetQuat)) return false;
    const hand = this.handPose();
    const p = hand.positionMetres;
    const q = hand.quaternion;
    return (
      this.tmpVec.set(p[0], p[1], p[2]).distanceTo(this.targetPos) < HAND_AT_TARGET_METRES &&
      this.tmpQuat.set(q[0], q[1], q[2], q[3]).angleTo(this.targetQuat) < HAND_AT_TARGET_RAD
    );
  }

  handPose(): Pose {
    this.live();
    this.ensureKinematics();
    return this.poseOfBody(this.handBodyId);
  }

  setFingerOpening(metresEach: number): void {
    const { data } = this.live();
    if (typeof metresEach !== 'number' || !Number.isFinite(metresEach) || metresEach < 0 || metresEach > FINGER_MAX_OPENING_METRES) {
      throw invalidArgument('metresEach', `must be a number in [0, ${FINGER_MAX_OPENING_METRES}], got ${String(metresEach)}`);
    }
    if (metresEach < this.fingerCommandMetres) {
      this.graspStepsLeft = this.graspWindowSteps;
    } else if (metresEach > this.fingerCommandMetres) {
      this.graspStepsLeft = 0;
      this.release(data);
    }
    this.fingerCommandMetres = metresEach;
  }

  fingerOpenings(): [number, number] {
    const qpos = f64(this.live().data.qpos);
    return [qpos[this.leftFingerQposAdr], qpos[this.rightFingerQposAdr]];
  }

  heldBody(): string | null {
    this.live();
    return this.heldIndex < 0 ? null : this.sceneNames[this.heldIndex];
  }

  contacts(): ContactPair[] {
    const { model, data } = this.live();
    if (!this.collisionsFresh) {
      // Recomputes derived data only (positions, contacts); the next step recomputes it anyway,
      // so observing never changes the trajectory.
      this.mj.mj_fwdPosition(model, data);
      this.kinematicsFresh = this.collisionsFresh = true;
    }
    const seen = new Set<string>();
    const pairs: ContactPair[] = [];
    const list = data.contact;
    try {
      for (let c = 0; c < data.ncon; c++) {
        const contact = list.get(c);
        if (!contact) continue;
        const g1 = contact.geom1;
        const g2 = contact.geom2;
        contact.delete();
        const la = this.labelOfBody[this.geomBody[g1]];
        const lb = this.labelOfBody[this.geomBody[g2]];
        const [a, b] = la < lb ? [la, lb] : [lb, la];
        const key = `${a}\u0000${b}`;
        if (a === b || seen.has(key)) continue;
        seen.add(key);
        pairs.push({ a, b });
      }
    } finally {
      list.delete();
    }
    return pairs.sort((x, y) => (x.a === y.a ? (x.b < y.b ? -1 : x.b > y.b ? 1 : 0) : x.a < y.a ? -1 : 1));
  }

  saveState(): Float64Array {
    const { model, data } = this.live();
    this.mj.mj_getState(model, data, this.stateBuffer, this.stateSignature);
    const out = new Float64Array(HEADER_SIZE + this.weldIds.length * EQ_DATA_SIZE + this.mjStateSize);
    out[0] = STATE_MAGIC;
    out[1] = this.heldIndex;
    out[2] = this.graspStepsLeft;
    out[3] = this.fingerCommandMetres;
    this.targetPos.toArray(out, 4);
    this.targetQuat.toArray(out, 7);
    const eqData = f64(model.eq_data);
    this.weldIds.forEach((w, k) => out.set(eqData.subarray(w * EQ_DATA_SIZE, (w + 1) * EQ_DATA_SIZE), HEADER_SIZE + k * EQ_DATA_SIZE));
    out.set(f64(this.stateBuffer.GetView()), HEADER_SIZE + this.weldIds.length * EQ_DATA_SIZE);
    return out;
  }

  restoreState(state: Float64Array): void {
    const { model, data } = this.live();
    const expected = HEADER_SIZE + this.weldIds.length * EQ_DATA_SIZE + this.mjStateSize;
    if (!(state instanceof Float64Array) || state.length !== expected || state[0] !== STATE_MAGIC) {
      throw invalidArgument('state', `must be a Float64Array of length ${expected} from saveState() of a world built from the same scene`);
    }
    const held = state[1];
    if (!(held === -1 || (Number.isInteger(held) && held >= 0 && held < this.sceneNames.length && this.weldIdOf[held] >= 0))) {
      throw invalidArgument('state', `held body index ${held} does not fit this scene`);
    }
    const eqData = f64(model.eq_data);
    this.weldIds.forEach((w, k) =>
      eqData.set(state.subarray(HEADER_SIZE + k * EQ_DATA_SIZE, HEADER_SIZE + (k + 1) * EQ_DATA_SIZE), w * EQ_DATA_SIZE),
    );
    const mjState = state.slice(HEADER_SIZE + this.weldIds.length * EQ_DATA_SIZE);
    this.mj.mj_setState(model, data, mjState as unknown as number[], this.stateSignature);
    this.heldIndex = held;
    this.graspStepsLeft = state[2];
    this.fingerCommandMetres = state[3];
    this.targetPos.fromArray(state, 4);
    this.targetQuat.fromArray(state, 7);
    const mocapPos = f64(data.mocap_pos);
    const mocapQuat = f64(data.mocap_quat);
    const m = this.targetMocapId;
    this.cmdPos.set(mocapPos[3 * m], mocapPos[3 * m + 1], mocapPos[3 * m + 2]);
    this.cmdQuat.set(mocapQuat[4 * m + 1], mocapQuat[4 * m + 2], mocapQuat[4 * m + 3], mocapQuat[4 * m]);
    this.kinematicsFresh = this.collisionsFresh = false;
  }

  dispose(): void {
    if (!this.model || !this.data) return;
    this.data.delete();
    this.model.delete();
    this.stateBuffer.delete();
    this.data = null;
    this.model = null;
  }

  private live(): { model: MjModel; data: MjData } {
    if (!this.model || !this.data) throw new PeractError('INVALID_ARGUMENT', 'this physics world was disposed');
    return { model: this.model, data: this.data };
  }

  private bodyId(name: string): number {
    this.live();
    const bodyId = this.bodyIdByName.get(name);
    if (bodyId === undefined) {
      throw new PeractError('NOT_FOUND', `no scene body named ${JSON.stringify(name)}`, { field: 'name' });
    }
    return bodyId;
  }

  private ensureKinematics(): void {
    if (this.kinematicsFresh) return;
    const { model, data } = this.live();
    this.mj.mj_kinematics(model, data);
    this.kinematicsFresh = true;
  }

  private poseOfBody(bodyId: number): Pose {
    const { data } = this.live();
    const xpos = f64(data.xpos);
    const xquat = f64(data.xquat);
    return {
      positionMetres: [xpos[3 * bodyId], xpos[3 * bodyId + 1], xpos[3 * bodyId + 2]],
      quaternion: canonicalQuaternion([xquat[4 * bodyId + 1], xquat[4 * bodyId + 2], xquat[4 * bodyId + 3], xquat[4 * bodyId]]),
    };
  }

  /** Moves the commanded hand pose one step towards the target, within the speed limits. */
  private advanceHand(): void {
    if (this.cmdPos.equals(this.targetPos) && this.cmdQuat.equals(this.targetQuat)) return;
    const distance = this.cmdPos.distanceTo(this.targetPos);
    const angle = this.cmdQuat.angleTo(this.targetQuat);
    if (distance <= this.maxStepMetres) this.cmdPos.copy(this.targetPos);
    else this.cmdPos.add(this.tmpVec.subVectors(this.targetPos, this.cmdPos).multiplyScalar(this.maxStepMetres / distance));
    if (angle <= this.maxStepRad) this.cmdQuat.copy(this.targetQuat);
    else this.cmdQuat.rotateTowards(this.targetQuat, this.maxStepRad);
    this.writeMocap();
  }

  private writeMocap(): void {
    const { data } = this.live();
    const m = this.targetMocapId;
    const mocapPos = f64(data.mocap_pos);
    const mocapQuat = f64(data.mocap_quat);
    mocapPos[3 * m] = this.cmdPos.x;
    mocapPos[3 * m + 1] = this.cmdPos.y;
    mocapPos[3 * m + 2] = this.cmdPos.z;
    mocapQuat[4 * m] = this.cmdQuat.w;
    mocapQuat[4 * m + 1] = this.cmdQuat.x;
    mocapQuat[4 * m + 2] = this.cmdQuat.y;
    mocapQuat[4 * m + 3] = this.cmdQuat.z;
  }

  /** Moves the finger servos' setpoint towards the command at the finger speed. */
  private advanceFingers(data: MjData): void {
    const ctrl = f64(data.ctrl);
    const current = ctrl[0];
    const goal = this.fingerCommandMetres;
    if (current === goal) return;
    ctrl[0] = ctrl[1] = Math.abs(goal - current) <= this.fingerStepMetres ? goal : current + Math.sign(goal - current) * this.fingerStepMetres;
  }

  /**
   * Attach-on-close: the first graspable body (in scene order) that crosses the sensing plate
   * between the pads and that both pads touch gets welded to the hand. Distances use the poses
   * MuJoCo computed at the start of the step just taken (consistent, one step old).
   */
  private tryGrasp(model: MjModel, data: MjData): void {
    const near = (padGeom: number, geoms: number[]): boolean =>
      // distmax above the threshold: the call returns distmax for anything farther.
      geoms.some((g) => this.mj.mj_geomDistance(model, data, padGeom, g, 2 * GRIPPER.graspTouchMetres, null) <= GRIPPER.graspTouchMetres);
    for (let i = 0; i < this.graspGeoms.length; i++) {
      const geoms = this.graspGeoms[i];
      if (geoms.length === 0) continue;
      const between = geoms.some((g) => this.mj.mj_geomDistance(model, data, this.pinchSensorGeom, g, 0.001, null) <= 0);
      if (between && near(this.leftPadGeom, geoms) && near(this.rightPadGeom, geoms)) {
        this.attach(model, data, i);
        return;
      }
    }
  }

  /** Welds scene body `index` to the hand at their current relative pose. */
  private attach(model: MjModel, data: MjData, index: number): void {
    this.mj.mj_kinematics(model, data);
    this.kinematicsFresh = true;
    const hand = this.poseOfBody(this.handBodyId);
    const body = this.poseOfBody(this.bodyIdByName.get(this.sceneNames[index]) as number);
    const handInverse = this.tmpQuat.fromArray(hand.quaternion).invert();
    const relPos = new Vector3().fromArray(body.positionMetres).sub(new Vector3().fromArray(hand.positionMetres)).applyQuaternion(handInverse);
    const relQuat = handInverse.clone().multiply(new Quaternion().fromArray(body.quaternion));
    const w = this.weldIdOf[index];
    const eqData = f64(model.eq_data);
    eqData.set([0, 0, 0, relPos.x, relPos.y, relPos.z, relQuat.w, relQuat.x, relQuat.y, relQuat.z, 1], w * EQ_DATA_SIZE);
    u8(data.eq_active)[w] = 1;
    this.heldIndex = index;
  }

  private release(data: MjData): void {
    if (this.heldIndex < 0) return;
    u8(data.eq_active)[this.weldIdOf[this.heldIndex]] = 0;
    this.heldIndex = -1;
  }
}

/** A validated pose with a canonical quaternion. */
export function checkedPose(pose: Pose | undefined, field: string): Pose {
  if (!pose || typeof pose !== 'object') throw invalidArgument(field, 'must be a pose { positionMetres, quaternion }');
  assertFiniteArray(pose.positionMetres, 3, `${field}.positionMetres`);
  return {
    positionMetres: [pose.positionMetres[0], pose.positionMetres[1], pose.positionMetres[2]],
    quaternion: canonicalQuaternion(pose.quaternion, `${field}.quaternion`),
  };
}
