import {
  assertFiniteArray,
  canonicalQuaternion,
  invalidArgument,
  matrix4FromPose,
  PeractError,
  poseFromMatrix4,
  quaternionAngle,
  Rng,
  type Action,
  type CameraFrame,
  type Env,
  type Observation,
  type Pose,
  type ResetOptions,
  type ResetResult,
  type StepResult,
} from '../core/index.js';
import type { Group } from 'three';
import type { LowDimFrame } from '../dataset/index.js';
import { createPhysicsWorld, FINGER_MAX_OPENING_METRES, type PhysicsWorld } from './physics/index.js';
import { applyPoses, buildSceneGraph, createDefaultCameraRig, type CameraRig, type DefaultRigOptions } from './render/index.js';
import {
  createArmMeshes,
  forwardKinematics,
  obstaclesFromScene,
  PANDA_HOME_Q,
  planToAction,
  solveIk,
  updateArmMeshes,
  type ArmMeshes,
  type HeldObject,
} from './robot/index.js';
import type { SceneSpec } from './scene.js';
import { table } from './tasks/builders.js';
import { getTask, TASK_NAMES, type ExpertStep, type TaskDefinition, type TaskInstance } from './tasks/index.js';

export interface SimEnvOptions {
  /** Camera rig options (image size, fields of view, ...). */
  cameras?: DefaultRigOptions;
  /** Physics step in seconds. Default 0.002. */
  timestepSec?: number;
  /** One recorded low-dimensional frame per control period. Default 0.05 s (20 Hz, as RLBench). */
  controlPeriodSec?: number;
  /** Keep every control frame's state so demos can render any of them afterwards. Default false. */
  record?: boolean;
}

/** One recorded control frame: the low-dim state plus what is needed to render it later. */
export interface RecordedFrame {
  lowDim: LowDimFrame;
  bodyPoses: Map<string, Pose>;
  fingerOpeningMetres: number;
}

/** After arriving, the arm holds this many control frames so PerAct's stop detection sees it. */
const HOLD_FRAMES_AFTER_MOVE = 2;
/**
 * Control frames the fingers get to close or open (the rest of the current frame plus 5): a full
 * stroke at 0.15 m/s (sim/physics/gripper.ts). One frame more and PerAct's stop rule would see
 * the waiting arm as a second extra keyframe.
 */
const GRIPPER_FRAMES = 6;
/** Physics steps allowed to reach one path waypoint before the move is reported stuck. */
const MAX_STEPS_PER_WAYPOINT = 400;

/**
 * The simulator as an `Env`: a task scene in MuJoCo, a kinematic Panda whose gripper is the
 * physics hand, four RGB-D cameras. `step` plans a path to the action's pose (around obstacles
 * unless it says to ignore collisions), drives the gripper along it, then opens or closes it.
 * An action no path reaches is refused with its reason (`refused`, nothing moved, the episode
 * goes on; RLBench ends the episode there, which `rollout` does by default). A move that a
 * contact stops (a collision-ignoring move into an object the hand cannot push) ends where it
 * stopped, the gripper still acts, the step reports why, and the episode goes on, as in
 * RLBench, whose physics never ends an episode for a contact.
 */
export class SimEnv implements Env {
  readonly tasks: readonly string[] = TASK_NAMES;
  private readonly rig: CameraRig;
  private readonly timestepSec: number;
  private readonly stepsPerFrame: number;
  private readonly record: boolean;
  private world: PhysicsWorld | null = null;
  private graph: Group | null = null;
  private arm: ArmMeshes | null = null;
  private scene: SceneSpec | null = null;
  private task: TaskDefinition | null = null;
  private instance: TaskInstance | null = null;
  private q: number[] = [...PANDA_HOME_Q];
  private qAtLastFrame: number[] = [...PANDA_HOME_Q];
  private gripperOpen = true;
  private ignoreCollisions = false;
  private stepIndex = 0;
  private physicsSteps = 0;
  private frames: RecordedFrame[] = [];
  private done = false;
  /**
   * Called at every control frame while physics runs (inside `step` too), with the episode's
   * simulated time: a robot publisher uses it to stream the arm while it moves.
   */
  onControlFrame: ((simTimeSeconds: number) => void) | null = null;

  constructor(options: SimEnvOptions = {}) {
    this.rig = createDefaultCameraRig(options.cameras);
    this.timestepSec = options.timestepSec ?? 0.002;
    const period = options.controlPeriodSec ?? 0.05;
    if (!(period > 0) || !(this.timestepSec > 0)) throw invalidArgument('controlPeriodSec', 'must be > 0');
    this.stepsPerFrame = Math.max(1, Math.round(period / this.timestepSec));
    this.record = options.record ?? false;
  }

  /** The physics world of the current episode (for success checks, tests and the bridge). */
  get physics(): PhysicsWorld {
    if (!this.world) throw new PeractError('INVALID_ARGUMENT', 'call reset() before using the environment');
    return this.world;
  }

  get currentTask(): TaskDefinition | null {
    return this.task;
  }

  /** The gripper's commanded state (it flips when a step starts closing or opening it). */
  get gripperIsOpen(): boolean {
    return this.gripperOpen;
  }

  get jointPositionsRad(): number[] {
    return [...this.q];
  }

  /** The scene of the current episode, table included. */
  get sceneSpec(): SceneSpec {
    if (!this.scene) throw new PeractError('INVALID_ARGUMENT', 'call reset() before using the environment');
    return this.scene;
  }

  /** Recorded control frames of the current episode (with `record: true`). */
  get recordedFrames(): readonly RecordedFrame[] {
    return this.frames;
  }

  async reset(options: ResetOptions): Promise<ResetResult> {
    if (!options || typeof options !== 'object') throw invalidArgument('options', 'must be {task, variation?, seed?}');
    const task = getTask(options.task);
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed) || seed < 0) throw invalidArgument('seed', `must be a non-negative integer, got ${seed}`);
    // The variation comes from its own generator, so (seed, variation) reproduces an episode
    // whether the variation was given or drawn.
    const variation = options.variation ?? new Rng(seed ^ 0x5a5a5a5a).int(0, task.variationCount - 1);
    const rng = new Rng(seed);
    if (!Number.isInteger(variation) || variation < 0 || variation >= task.variationCount) {
      throw invalidArgument('variation', `must be an integer in [0, ${task.variationCount}) for ${task.name}, got ${variation}`);
    }
    this.world?.dispose();
    const instance = task.build(variation, rng);
    const scene: SceneSpec = { bodies: [table(), ...instance.scene.bodies] };
    this.q = [...PANDA_HOME_Q];
    this.qAtLastFrame = [...this.q];
    this.world = await createPhysicsWorld(scene, {
      timestepSec: this.timestepSec,
      initialHandPose: forwardKinematics(this.q).toolPose,
    });
    this.graph = buildSceneGraph(scene);
    this.arm = createArmMeshes();
    this.graph.add(this.arm.root);
    this.scene = scene;
    this.task = task;
    this.instance = instance;
    this.gripperOpen = true;
    this.ignoreCollisions = false;
    this.stepIndex = 0;
    this.physicsSteps = 0;
    this.frames = [];
    this.done = false;
    // Let objects settle onto the table before anything is observed.
    this.world.step(Math.round(0.2 / this.timestepSec));
    this.recordFrame();
    const goal = instance.goals[rng.int(0, instance.goals.length - 1)];
    return { observation: this.observe(), goal, variation, slots: { ...instance.slots } };
  }

  /** The scripted expert's waypoints for the current episode (from the state right after reset). */
  expert(): ExpertStep[] {
    if (!this.instance || !this.world) throw new PeractError('INVALID_ARGUMENT', 'call reset() before asking for the expert');
    return this.instance.expert(this.world);
  }

  isSuccess(): boolean {
    if (!this.instance || !this.world) return false;
    return this.instance.success(this.world);
  }

  async step(action: Action): Promise<StepResult> {
    const world = this.physics;
    const task = this.task as TaskDefinition;
    if (this.done) throw new PeractError('INVALID_ARGUMENT', 'the episode is done: call reset() first');
    const target = checkAction(action);
    this.stepIndex++;
    this.ignoreCollisions = action.ignoreCollisions;
    const plan = planToAction(this.q, target, {
      ignoreCollisions: action.ignoreCollisions,
      obstacles: this.obstacles(),
      heldObject: this.heldObjectBox(),
      fingerOpeningMetres: Math.min(FINGER_MAX_OPENING_METRES, Math.max(0, world.fingerOpenings()[0])),
      seed: this.stepIndex,
    });
    let failureReason: string | undefined;
    const refused = !plan.ok;
    if (!plan.ok) failureReason = `planner: ${plan.reason}: ${plan.detail}`;
    else {
      failureReason = this.followPath(plan.path);
      // The gripper acts when the move ends, whether it arrived or a contact stopped it.
      if (action.gripperOpen !== this.gripperOpen) {
        this.gripperOpen = action.gripperOpen;
        world.setFingerOpening(action.gripperOpen ? FINGER_MAX_OPENING_METRES : 0);
        this.runFrames(GRIPPER_FRAMES);
      } else this.runFrames(HOLD_FRAMES_AFTER_MOVE);
    }
    const success = this.isSuccess();
    // Neither a refusal (nothing moved) nor a stop at a contact ends the episode: the caller
    // decides (rollout's onRefusal).
    this.done = success || this.stepIndex >= task.episodeLimit;
    return { observation: this.observe(), success, done: this.done, ...(failureReason ? { failureReason } : {}), ...(refused ? { refused } : {}) };
  }

  /** Renders the cameras now and returns the current observation. */
  observe(): Observation {
    const world = this.physics;
    const fingers = clampFingers(world.fingerOpenings());
    return {
      cameras: this.render(this.bodyPoses(), this.q, fingers[0], world.handPose()),
      gripperPose: world.handPose(),
      gripperOpen: this.gripperOpen,
      fingerWidthsMetres: fingers,
      step: this.stepIndex,
      jointPositionsRad: [...this.q],
    };
  }

  /** Renders a recorded control frame again (demos render only the frames they keep). */
  renderRecorded(index: number): CameraFrame[] {
    const f = this.frames[index];
    if (!f) throw invalidArgument('index', `no recorded frame ${index} (have ${this.frames.length})`);
    return this.render(f.bodyPoses, f.lowDim.jointPositionsRad, f.fingerOpeningMetres, f.lowDim.gripperPose);
  }

  async close(): Promise<void> {
    this.world?.dispose();
    this.world = null;
  }

  private render(poses: Map<string, Pose>, q: number[], fingerOpening: number, handPose: Pose): CameraFrame[] {
    const graph = this.graph as Group;
    applyPoses(graph, poses);
    updateArmMeshes(this.arm as ArmMeshes, q, Math.min(FINGER_MAX_OPENING_METRES, Math.max(0, fingerOpening)));
    return this.rig.render(graph, handPose);
  }

  private bodyPoses(): Map<string, Pose> {
    const world = this.physics;
    return new Map(world.bodyNames().map((n) => [n, world.bodyPose(n)]));
  }

  private obstacles() {
    const held = this.physics.heldBody();
    return obstaclesFromScene(this.sceneSpec, this.bodyPoses(), held ? new Set([held]) : new Set());
  }

  /** The held body as a box in the tool frame, so the planner keeps it clear of obstacles too. */
  private heldObjectBox(): HeldObject | undefined {
    const world = this.physics;
    const held = world.heldBody();
    if (!held) return undefined;
    const spec = this.sceneSpec.bodies.find((b) => b.name === held);
    if (!spec) return undefined;
    const half = boundingHalfExtents(spec.geoms.map((g) => g.shape));
    const tool = matrix4FromPose(world.handPose());
    const body = matrix4FromPose(world.bodyPose(held));
    const inTool = tool.invert().multiply(body);
    return { poseInTool: poseFromMatrix4(inTool), halfExtentsMetres: half, name: held };
  }

  /** Drives the hand through the joint path; returns a reason when it gets stuck. */
  private followPath(path: number[][]): string | undefined {
    const world = this.physics;
    for (let i = 0; i < path.length; i++) {
      const q = path[i];
      const target = forwardKinematics(q).toolPose;
      world.setHandTarget(target);
      const last = i === path.length - 1;
      let n = 0;
      // Waypoints on the way only need to be passed closely; the last one is reached exactly.
      while (last ? !world.handAtTarget() : !near(world.handPose(), target)) {
        this.physicsStep();
        if (++n > MAX_STEPS_PER_WAYPOINT) {
          // A held object or a contact can hold the hand a little off its target; carry on when close.
          const off = poseError(world.handPose(), target);
          if (off.metres < 0.005 && off.rad < 0.05) break;
          this.stopAtContact(q);
          return `execution: the gripper was blocked ${(off.metres * 1000).toFixed(0)} mm from a waypoint`;
        }
      }
      this.q = q.slice();
    }
    return undefined;
  }

  /**
   * Holds the hand where a contact stopped it and takes the arm's joints from that pose (IK from
   * the waypoint it was heading for), so the next plan starts from where the arm really is.
   */
  private stopAtContact(headingFor: number[]): void {
    const world = this.physics;
    const hand = world.handPose();
    world.setHandTarget(hand);
    const ik = solveIk(hand, { seedQ: headingFor, restarts: 0 });
    if (ik.ok) this.q = ik.q;
    else if (ik.bestQ) this.q = ik.bestQ;
  }

  private runFrames(frames: number): void {
    // Finish the current control frame, then whole frames.
    const remaining = this.stepsPerFrame - (this.physicsSteps % this.stepsPerFrame);
    for (let i = 0; i < remaining + (frames - 1) * this.stepsPerFrame; i++) this.physicsStep();
  }

  private physicsStep(): void {
    const world = this.physics;
    world.step(1);
    this.instance?.monitor?.(world);
    this.physicsSteps++;
    if (this.physicsSteps % this.stepsPerFrame === 0) this.recordFrame();
  }

  private recordFrame(): void {
    this.onControlFrame?.(this.physicsSteps * this.timestepSec);
    const world = this.physics;
    const dt = this.stepsPerFrame * this.timestepSec;
    const fingers = clampFingers(world.fingerOpenings());
    const velocities = this.q.map((v, i) => (v - this.qAtLastFrame[i]) / dt);
    this.qAtLastFrame = this.q.slice();
    if (!this.record) return;
    this.frames.push({
      lowDim: {
        timeSeconds: this.physicsSteps * this.timestepSec,
        gripperPose: world.handPose(),
        gripperOpen: this.gripperOpen,
        ignoreCollisions: this.ignoreCollisions,
        fingerWidthsMetres: fingers,
        jointPositionsRad: this.q.slice(),
        jointVelocitiesRadPerS: velocities,
      },
      bodyPoses: this.bodyPoses(),
      fingerOpeningMetres: fingers[0],
    });
  }
}

/** A hand pushed into the table can drive the finger joints past their range; report the range. */
function clampFingers(f: [number, number]): [number, number] {
  const c = (v: number): number => Math.min(FINGER_MAX_OPENING_METRES, Math.max(0, v));
  return [c(f[0]), c(f[1])];
}

function checkAction(action: Action): Pose {
  if (!action || typeof action !== 'object') throw invalidArgument('action', 'must be an Action');
  assertFiniteArray(action.positionMetres, 3, 'action.positionMetres');
  const quaternion = canonicalQuaternion(action.quaternion, 'action.quaternion');
  if (typeof action.gripperOpen !== 'boolean') throw invalidArgument('action.gripperOpen', 'must be a boolean');
  if (typeof action.ignoreCollisions !== 'boolean') throw invalidArgument('action.ignoreCollisions', 'must be a boolean');
  return { positionMetres: [...action.positionMetres], quaternion };
}

function near(a: Pose, b: Pose): boolean {
  const e = poseError(a, b);
  return e.metres < 0.002 && e.rad < 0.02;
}

function poseError(a: Pose, b: Pose): { metres: number; rad: number } {
  const pa = a.positionMetres;
  const pb = b.positionMetres;
  return { metres: Math.hypot(pa[0] - pb[0], pa[1] - pb[1], pa[2] - pb[2]), rad: quaternionAngle(a.quaternion, b.quaternion) };
}

function boundingHalfExtents(shapes: SceneSpec['bodies'][number]['geoms'][number]['shape'][]): [number, number, number] {
  const half: [number, number, number] = [0, 0, 0];
  for (const s of shapes) {
    const h: [number, number, number] =
      s.kind === 'box' ? s.halfExtentsMetres : s.kind === 'sphere' ? [s.radiusMetres, s.radiusMetres, s.radiusMetres] : [s.radiusMetres, s.radiusMetres, s.halfHeightMetres];
    for (let a = 0; a < 3; a++) half[a] = Math.max(half[a], h[a]);
  }
  return half;
}
