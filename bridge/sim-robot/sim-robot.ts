// Over 400 lines: the robot's topics, services and the state they share (the exclusive section,
// the episode, the scene graph for tf) are one object; its helpers at the end are a few lines each.
import { CylinderGeometry, Matrix4, type Group, type Object3D } from 'three';
import { canonicalQuaternion, invalidArgument, matrix4FromPose, PeractError, poseFromMatrix4, type Action, type Observation, type Policy, type PolicyOutput, type Pose } from '../../core/index.js';
import { buildSceneGraph, createArmMeshes, FINGER_MAX_OPENING_METRES, updateArmMeshes, type ArmMeshes, type SimEnv } from '../../sim/index.js';
import type { BridgeServer } from '../server/bridge-server.js';
import { errorText } from '../server/protocol.js';
import { PANDA_JOINT_NAMES, PANDA_LINK_FRAMES, SIM_SERVICES, SIM_TOPICS, TOOL_FRAME, WORLD_FRAME } from '../ros/names.js';
import { cameraInfoMsg, header, imageMsg, poseFromMsg, poseMsg, rosTimeFromMs, transformMsg, type RosTime } from '../ros/ros-messages.js';

/**
 * The simulator as a ROS robot on a BridgeServer: it publishes what a Panda with RGB-D cameras
 * publishes and takes commands the way a MoveIt-style setup behind rosbridge does. Every name
 * is in `SIM_TOPICS` / `SIM_SERVICES` and documented in the README and docs/bridge.md.
 *
 * Environment calls (reset, step, act) run one at a time, each answering with its own result;
 * sensor publishing skips a tick while one runs, so a client never sees a half-updated world.
 * The simulator is not real-time: the world stands still between commands and the same state
 * is published at `rateHz`. No input ends the process: every command's promise is caught and
 * its failure published or answered, naming the field.
 */

/** /peract/command messages waiting to run; more are answered at once on /peract/step_result. */
export const MAX_PENDING_COMMANDS = 8;
/** Longest goal text /peract/act takes. */
export const MAX_GOAL_CHARS = 1000;

/** peract_msgs/Execute's response (a type alias: it is also a plain record of fields). */
type ExecuteReply = {
  success: boolean;
  message: string;
  task_success: boolean;
  done: boolean;
  refused: boolean;
  step: number;
};


export interface SimRobotOptions {
  /** Task of the first episode (reset at start). Default the environment's first task. */
  task?: string;
  variation?: number;
  seed?: number;
  /** The agent behind the viewer's act button and /peract/act. */
  policy?: Policy;
  /** Sensor publishing rate. Default 10 Hz. */
  rateHz?: number;
  log?: (line: string) => void;
}

export class SimRobot {
  private goal = '';
  private busy: Promise<unknown> = Promise.resolve();
  private busyCount = 0;
  private timer: NodeJS.Timeout | null = null;
  private arm: ArmMeshes = createArmMeshes();
  private cameraNames: string[] = [];
  private staticCameras = new Map<string, Pose>();
  private wristCameras = new Map<string, Pose>();
  private lastStampMs = 0;
  /** The robot's clock: wall time while it stands, simulated time while it moves (see `stamp`). */
  private clockMs = Date.now();
  private clockWallMs = Date.now();
  /** Set while a step runs: the clock then follows the simulation. */
  private motion: { startClockMs: number; startSimSeconds: number | null; frames: number } | null = null;
  private episodeDone = false;
  /** Frames of the last reset: their intrinsics feed CameraInfo without rendering. */
  private lastFrames: Observation['cameras'] = [];
  private stepCount = 0;
  private pendingCommands = 0;
  /** Sensor publications made (for tests and the benchmark). */
  publishCount = 0;

  private constructor(
    readonly env: SimEnv,
    readonly server: BridgeServer,
    private readonly options: SimRobotOptions,
  ) {}

  /** Defines the topics and services on `server`, resets the first episode and starts publishing. */
  static async attach(env: SimEnv, server: BridgeServer, options: SimRobotOptions = {}): Promise<SimRobot> {
    const rate = options.rateHz ?? 10;
    if (!(rate > 0 && rate <= 1000)) throw invalidArgument('options.rateHz', `must be in (0, 1000], got ${rate}`);
    const robot = new SimRobot(env, server, options);
    await robot.exclusive(() => robot.doReset(options.task ?? env.tasks[0], options.variation, options.seed ?? 0));
    robot.define();
    robot.publishLatched();
    robot.publishState();
    robot.timer = setInterval(() => {
      if (robot.busyCount === 0) robot.publishStateSafely();
    }, 1000 / rate);
    return robot;
  }

  get currentGoal(): string {
    return this.goal;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Runs environment work one call at a time. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.busyCount++;
    const run = this.busy.then(fn, fn);
    this.busy = run.catch(() => undefined);
    return run.finally(() => {
      this.busyCount--;
    });
  }

  private define(): void {
    const s = this.server;
    for (const c of this.cameraNames) {
      s.defineTopic(SIM_TOPICS.colour(c), 'sensor_msgs/Image');
      s.defineTopic(SIM_TOPICS.depth(c), 'sensor_msgs/Image');
      s.defineTopic(SIM_TOPICS.cameraInfo(c), 'sensor_msgs/CameraInfo');
    }
    s.defineTopic(SIM_TOPICS.tf, 'tf2_msgs/TFMessage');
    s.defineTopic(SIM_TOPICS.tfStatic, 'tf2_msgs/TFMessage', { latched: true });
    s.defineTopic(SIM_TOPICS.jointStates, 'sensor_msgs/JointState');
    s.defineTopic(SIM_TOPICS.gripperState, 'peract_msgs/GripperState');
    s.defineTopic(SIM_TOPICS.goal, 'std_msgs/String', { latched: true });
    s.defineTopic(SIM_TOPICS.scene, 'std_msgs/String', { latched: true });
    s.defineTopic(SIM_TOPICS.policyOutput, 'peract_msgs/PolicyOutput', { latched: true });
    s.defineTopic(SIM_TOPICS.stepResult, 'peract_msgs/StepResult');
    s.defineTopic(SIM_TOPICS.executed, 'peract_msgs/Command');
    s.defineTopic(SIM_TOPICS.command, 'peract_msgs/Command', { clientsMayPublish: true });
    s.onMessage(SIM_TOPICS.command, (msg) => {
      const fail = (message: string) => this.publishStepResult({ success: false, message, task_success: false, done: this.episodeDone, refused: false, step: this.stepCount });
      let action: Action;
      try {
        action = actionFromCommand(msg);
      } catch (err) {
        fail(errorText(err));
        return;
      }
      if (this.pendingCommands >= MAX_PENDING_COMMANDS) {
        fail(`busy: ${MAX_PENDING_COMMANDS} commands are waiting; this one was not run`);
        return;
      }
      this.pendingCommands++;
      return this.execute(action)
        .then(
          (r) => this.publishStepResult(r),
          (err: unknown) => fail(errorText(err)),
        )
        .finally(() => this.pendingCommands--);
    });

    s.advertiseService(SIM_SERVICES.reset, 'peract_msgs/Reset', async (req) => {
      // -1 (or any negative) lets the seed draw the variation, as SimEnv does without one.
      const variation = Number(req.variation) >= 0 ? Number(req.variation) : undefined;
      try {
        // Everything the answer says is read inside the exclusive section: a second reset
        // queued behind this one cannot change it.
        return await this.exclusive(async () => {
          const task = String(req.task) || this.env.currentTask?.name || this.env.tasks[0];
          const r = await this.doReset(task, variation, Number(req.seed));
          this.publishLatched();
          setImmediate(() => this.publishStateSafely());
          return { success: true, message: `reset ${task}`, goal: r.goal, variation: r.variation };
        });
      } catch (err) {
        return { success: false, message: errorText(err), goal: '', variation: -1 };
      }
    });
    s.advertiseService(SIM_SERVICES.execute, 'peract_msgs/Execute', async (req) => {
      let action: Action;
      try {
        action = actionFromCommand(req);
      } catch (err) {
        return { success: false, message: errorText(err), task_success: false, done: this.episodeDone, refused: false, step: this.stepCount };
      }
      return this.execute(action);
    });
    s.advertiseService(SIM_SERVICES.success, 'std_srvs/Trigger', async () => {
      const ok = this.env.isSuccess();
      return { success: ok, message: ok ? 'the task is done' : 'the task is not done' };
    });
    s.advertiseService(SIM_SERVICES.act, 'peract_msgs/Act', async (req) => this.act(String(req.goal), req.execute !== false));
  }

  /** peract_msgs/StepResult as documented: the Execute reply without `refused`. */
  private publishStepResult(r: ExecuteReply): void {
    this.server.publish(SIM_TOPICS.stepResult, { header: header(WORLD_FRAME, this.stamp()), success: r.success, message: r.message, task_success: r.task_success, done: r.done, step: r.step });
  }

  private async doReset(task: string, variation: number | undefined, seed: number): Promise<{ goal: string; variation: number }> {
    const r = await this.env.reset({ task, ...(variation !== undefined ? { variation } : {}), seed });
    this.goal = r.goal;
    this.episodeDone = false;
    this.stepCount = 0;
    this.cameraNames = r.observation.cameras.map((c) => c.name);
    this.lastFrames = r.observation.cameras;
    this.locateCameras(r.observation);
    return { goal: r.goal, variation: r.variation };
  }

  /** Fixed cameras are static in the world; wrist cameras are static in the tool frame. */
  private locateCameras(obs: Observation): void {
    this.staticCameras.clear();
    this.wristCameras.clear();
    const toolInverse = matrix4FromPose(obs.gripperPose).invert();
    for (const c of obs.cameras) {
      const world = new Matrix4().fromArray(Array.from(c.worldFromCamera)).transpose();
      const inTool = toolInverse.clone().multiply(world);
      // A camera whose pose in the tool frame is not the identity-ish constant would need two
      // observations to tell apart; the rig names it: wrist-mounted cameras are called "wrist".
      if (c.name.includes('wrist')) this.wristCameras.set(c.name, poseFromMatrix4(inTool));
      else this.staticCameras.set(c.name, poseFromMatrix4(world));
    }
  }

  private execute(action: Action): Promise<ExecuteReply> {
    return this.exclusive(() => this.executeNow(action));
  }

  /** One step; the caller holds the exclusive section. */
  private async executeNow(action: Action): Promise<ExecuteReply> {
    if (this.episodeDone) return { success: false, message: 'the episode is done: call /peract/reset', task_success: this.env.isSuccess(), done: true, refused: false, step: this.stepCount };
    this.server.publish(SIM_TOPICS.executed, {
      target: { header: header(WORLD_FRAME, this.stamp()), pose: poseMsg({ positionMetres: action.positionMetres, quaternion: action.quaternion }) },
      gripper_open: action.gripperOpen,
      ignore_collisions: action.ignoreCollisions,
    });
    const r = await this.stepStreaming(action);
    this.stepCount++;
    this.episodeDone = r.done;
    setImmediate(() => this.publishStateSafely());
    // An episode the action limit ended says so: the last move's own trouble (a contact that
    // stopped it) is not why the episode is over.
    const limit = this.env.currentTask?.episodeLimit;
    const atLimit = r.done && !r.success && limit !== undefined && this.stepCount >= limit;
    const message = atLimit ? `the episode reached its limit of ${limit} actions${r.failureReason ? ` (the last move: ${r.failureReason})` : ''}` : (r.failureReason ?? 'ok');
    return { success: r.failureReason === undefined, message, task_success: r.success, done: r.done, refused: r.refused === true, step: this.stepCount };
  }

  private async act(goalText: string, execute: boolean): Promise<Record<string, unknown>> {
    const policy = this.options.policy;
    const none = () => ({ target: poseMsg({ positionMetres: [0, 0, 0], quaternion: [0, 0, 0, 1] }), gripper_open: true, ignore_collisions: false, task_success: false, done: this.episodeDone });
    if (!policy) return { success: false, message: 'no agent is loaded (start `peract serve` with a checkpoint)', ...none() };
    if (goalText.length > MAX_GOAL_CHARS) return { success: false, message: `goal: at most ${MAX_GOAL_CHARS} characters, got ${goalText.length}`, ...none() };
    // The agent's observation, its action and that action's execution form one section: a reset
    // from another client cannot slip between them.
    return this.exclusive(async () => {
      const goal = goalText.trim() || this.goal;
      if (goal !== this.goal) {
        this.goal = goal;
        this.server.publish(SIM_TOPICS.goal, { data: goal });
      }
      let out: PolicyOutput;
      try {
        out = await policy.act(this.env.observe(), goal);
        out = { ...out, action: checkedAgentAction(out.action) };
      } catch (err) {
        return { success: false, message: `the agent failed: ${errorText(err)}`, ...none() };
      }
      return this.publishAndExecute(out, goal, execute);
    });
  }

  private async publishAndExecute(out: PolicyOutput, goal: string, execute: boolean): Promise<Record<string, unknown>> {
    this.server.publish(SIM_TOPICS.policyOutput, {
      header: header(WORLD_FRAME, this.stamp()),
      goal,
      target: poseMsg({ positionMetres: out.action.positionMetres, quaternion: out.action.quaternion }),
      gripper_open: out.action.gripperOpen,
      ignore_collisions: out.action.ignoreCollisions,
      top_voxels: out.topVoxels.map((v) => ({ x: v.positionMetres[0], y: v.positionMetres[1], z: v.positionMetres[2] })),
      scores: out.topVoxels.map((v) => v.score),
    });
    const target = poseMsg({ positionMetres: out.action.positionMetres, quaternion: out.action.quaternion });
    if (!execute) return { success: true, message: 'not executed', target, gripper_open: out.action.gripperOpen, ignore_collisions: out.action.ignoreCollisions, task_success: this.env.isSuccess(), done: this.episodeDone };
    const r = await this.executeNow(out.action);
    return { success: r.success, message: r.message, target, gripper_open: out.action.gripperOpen, ignore_collisions: out.action.ignoreCollisions, task_success: r.task_success, done: r.done };
  }

  /**
   * A stamp that never repeats (clients tell frames apart by it), from the robot's clock: it
   * runs with the wall clock while the arm stands and with simulated time while a step moves it,
   * so a recorder sees the motion at its real speed and no gap while the simulator computes.
   */
  private stamp(): RosTime {
    const wall = Date.now();
    if (this.motion) {
      // Advanced by the control-frame hook; the wall time a step takes to compute is not the robot's.
      this.clockWallMs = wall;
    } else {
      this.clockMs += Math.max(0, wall - this.clockWallMs);
      this.clockWallMs = wall;
    }
    const now = Math.max(Math.round(this.clockMs), this.lastStampMs + 1);
    this.lastStampMs = now;
    return rosTimeFromMs(now);
  }

  /** Runs a step with the arm streamed while it moves, at the publishing rate in simulated time. */
  private async stepStreaming(action: Action): Promise<Awaited<ReturnType<SimEnv['step']>>> {
    const rate = this.options.rateHz ?? 10;
    this.stamp();
    const motion = { startClockMs: this.clockMs, startSimSeconds: null as number | null, frames: 0 };
    this.motion = motion;
    let nextPublishSeconds = 0;
    this.env.onControlFrame = (simSeconds) => {
      if (motion.startSimSeconds === null) motion.startSimSeconds = simSeconds;
      const elapsed = simSeconds - motion.startSimSeconds;
      this.clockMs = motion.startClockMs + elapsed * 1000;
      if (elapsed + 1e-9 >= nextPublishSeconds) {
        nextPublishSeconds = elapsed + 1 / rate;
        this.publishStateSafely();
      }
    };
    try {
      return await this.env.step(action);
    } finally {
      this.env.onControlFrame = null;
      this.motion = null;
      this.clockWallMs = Date.now();
    }
  }

  private publishLatched(): void {
    const s = this.server;
    s.publish(SIM_TOPICS.goal, { data: this.goal });
    s.publish(SIM_TOPICS.scene, { data: this.sceneJson() });
    const stamp = this.stamp();
    const transforms = [
      ...[...this.staticCameras].map(([name, pose]) => transformMsg(WORLD_FRAME, SIM_TOPICS.opticalFrame(name), pose, stamp)),
      ...[...this.wristCameras].map(([name, pose]) => transformMsg(TOOL_FRAME, SIM_TOPICS.opticalFrame(name), pose, stamp)),
    ];
    s.publish(SIM_TOPICS.tfStatic, { transforms });
  }

  /** The scene (bodies and arm) as three.js JSON, node names = tf frame names, for the viewer. */
  private sceneJson(): string {
    const graph: Group = buildSceneGraph(this.env.sceneSpec);
    const arm = createArmMeshes();
    arm.linkGroups.forEach((g, i) => (g.name = PANDA_LINK_FRAMES[i]));
    arm.leftFinger.name = 'panda_leftfinger';
    arm.rightFinger.name = 'panda_rightfinger';
    graph.add(arm.root);
    graph.traverse((o: Object3D) => {
      const g = (o as { geometry?: { parameters?: unknown } }).geometry;
      // toJSON writes only the parameters of a parametric geometry, losing the scene graph's
      // rotateX of cylinders; without them it writes the vertices.
      // (The loader picks the class by `type`, so that must say plain BufferGeometry too.)
      if (g && g instanceof CylinderGeometry) {
        delete (g as { parameters?: unknown }).parameters;
        (g as { type: string }).type = 'BufferGeometry';
      }
    });
    return JSON.stringify(graph.toJSON());
  }

  /** publishState from a timer: a failure is logged, never thrown into the event loop. */
  private publishStateSafely(): void {
    try {
      this.publishState();
    } catch (err) {
      this.options.log?.(`publishing the robot state failed: ${errorText(err)}`);
    }
  }

  /** Publishes every sensor topic once (cameras only when someone listens). */
  publishState(): void {
    let world;
    try {
      world = this.env.physics;
    } catch {
      return;
    }
    const s = this.server;
    const stamp = this.stamp();
    const q = this.env.jointPositionsRad;
    const fingers = world.fingerOpenings();
    const hand = world.handPose();
    const gripperOpen = this.env.gripperIsOpen;
    // Order matters to clients that sync on arrival: poses first, images last, so a fresh image
    // set implies fresh tf and gripper state from the same tick.
    if (s.hasSubscribers(SIM_TOPICS.tf)) s.publish(SIM_TOPICS.tf, { transforms: this.transforms(stamp, q, fingers[0], hand) });
    s.publish(SIM_TOPICS.jointStates, {
      header: header('', stamp),
      name: PANDA_JOINT_NAMES,
      position: [...q, fingers[0], fingers[1]],
      velocity: [],
      effort: [],
    });
    s.publish(SIM_TOPICS.gripperState, { header: header(WORLD_FRAME, stamp), pose: poseMsg(hand), open: gripperOpen, finger_widths: [fingers[0], fingers[1]] });
    // CameraInfo is cheap and needs no render; the intrinsics do not change within a run.
    for (const frame of this.lastFrames) s.publish(SIM_TOPICS.cameraInfo(frame.name), cameraInfoMsg(frame, SIM_TOPICS.opticalFrame(frame.name), stamp));
    const anyCamera = this.cameraNames.some((c) => s.hasSubscribers(SIM_TOPICS.colour(c)) || s.hasSubscribers(SIM_TOPICS.depth(c)));
    if (anyCamera) {
      const obs = this.env.observe();
      for (const frame of obs.cameras) {
        const frameId = SIM_TOPICS.opticalFrame(frame.name);
        s.publish(SIM_TOPICS.colour(frame.name), imageMsg(frame, 'colour', frameId, stamp));
        s.publish(SIM_TOPICS.depth(frame.name), imageMsg(frame, 'depth', frameId, stamp));
      }
    }
    this.publishCount++;
  }


  /** Arm links, fingers, the tool and every scene body, all in the world frame except the fingers. */
  private transforms(stamp: RosTime, q: number[], fingerOpening: number, hand: Pose): Record<string, unknown>[] {
    const world = this.env.physics;
    updateArmMeshes(this.arm, q, Math.min(FINGER_MAX_OPENING_METRES, Math.max(0, fingerOpening)));
    const out: Record<string, unknown>[] = [];
    this.arm.linkGroups.forEach((g, i) => {
      const pose = i === this.arm.linkGroups.length - 1 ? hand : poseOfObject(g);
      out.push(transformMsg(WORLD_FRAME, PANDA_LINK_FRAMES[i], pose, stamp));
    });
    for (const [finger, mesh] of [['panda_leftfinger', this.arm.leftFinger], ['panda_rightfinger', this.arm.rightFinger]] as const) {
      out.push(transformMsg('panda_hand', finger, { positionMetres: [mesh.position.x, mesh.position.y, mesh.position.z], quaternion: canonicalQuaternion([mesh.quaternion.x, mesh.quaternion.y, mesh.quaternion.z, mesh.quaternion.w]) }, stamp));
    }
    for (const name of world.bodyNames()) out.push(transformMsg(WORLD_FRAME, name, world.bodyPose(name), stamp));
    return out;
  }
}

function poseOfObject(o: Object3D): Pose {
  return { positionMetres: [o.position.x, o.position.y, o.position.z], quaternion: canonicalQuaternion([o.quaternion.x, o.quaternion.y, o.quaternion.z, o.quaternion.w]) };
}

/** The agent is a black box: its action is checked before the arm is sent anywhere. */
function checkedAgentAction(action: Action): Action {
  if (!action || typeof action !== 'object') throw invalidArgument('action', 'the agent returned no action');
  const p = action.positionMetres;
  if (!Array.isArray(p) || p.length !== 3 || !p.every(Number.isFinite)) throw invalidArgument('action.positionMetres', 'must be 3 finite numbers');
  return { ...action, quaternion: canonicalQuaternion(action.quaternion, 'action.quaternion'), gripperOpen: Boolean(action.gripperOpen), ignoreCollisions: Boolean(action.ignoreCollisions) };
}

/** peract_msgs/Command or Execute request (checked by the server) -> Action, in the world frame. */
export function actionFromCommand(msg: Record<string, unknown>): Action {
  const target = msg.target as { header?: { frame_id?: string }; pose?: unknown } | undefined;
  const frame = target?.header?.frame_id ?? '';
  if (frame !== '' && frame !== WORLD_FRAME) throw new PeractError('INVALID_ARGUMENT', `target.header.frame_id must be "${WORLD_FRAME}" (or empty), got "${frame}"`, { field: 'target.header.frame_id' });
  const pose = poseFromMsg(target?.pose, 'target.pose');
  return { positionMetres: pose.positionMetres, quaternion: pose.quaternion, gripperOpen: Boolean(msg.gripper_open), ignoreCollisions: Boolean(msg.ignore_collisions) };
}
