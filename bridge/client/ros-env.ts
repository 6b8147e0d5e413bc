// Over 400 lines: one Env over one connection; subscriptions, synchronisation, waiting and the
// commands all read the same received-message state, which splitting would have to expose.
import { Ros, Service, Topic, type RosLike, type TopicLike } from '../ros/roslib.js';
import {
  canonicalQuaternion,
  invalidArgument,
  matrix4FromPose,
  matrixFromPose,
  PeractError,
  type Action,
  type CameraFrame,
  type Env,
  type Observation,
  type Pose,
  type ResetOptions,
  type ResetResult,
  type StepResult,
} from '../../core/index.js';
import { calibratedPose, cameraConfigs, parseRosEnvConfig, type CameraConfig, type RosEnvConfig, type RosEnvConfigInput } from './ros-env-config.js';
import { decodeColour, decodeDepth, intrinsicsFromCameraInfo, poseFromMsg, poseMsg, secondsOf } from '../ros/ros-messages.js';
import { TfBuffer } from './tf-buffer.js';
import { SERVED_TASK_NAMES } from '../ros/names.js';

/**
 * An `Env` over any rosbridge robot, through roslib: the agent's rollout loop runs unchanged on
 * `peract serve` or on a real arm's rosbridge_server. Observations are the newest frames of all
 * cameras whose header stamps lie within `syncToleranceMs` of each other and that arrived after
 * the last command finished, with gripper and joint states that arrived after it too, and only
 * once the goal topic has spoken; a silent topic fails with a TIMEOUT naming it. After a dropped
 * connection it reconnects by itself (roslib re-subscribes); a command in flight then fails
 * with CONNECTION, since whether the arm moved is unknown.
 */

interface Stamped {
  msg: Record<string, unknown>;
  stampSec: number;
  receivedMs: number;
}

/** Messages kept per topic, to find frames of all cameras (and the states) that match in time. */
const HISTORY = 8;

interface GripperReading {
  pose: Pose;
  open: boolean;
  fingers: [number, number];
}

/** One synchronised set of camera frames as `RosEnv.onFrameSet` streams it. */
export interface StampedObservation {
  observation: Observation;
  /** Header stamp of the set (the first camera's colour frame), seconds. */
  stampSeconds: number;
  /** Largest difference between that stamp and those of the other frames and states used, ms. */
  skewMs: number;
  /** Camera sets that never completed between the previous streamed set and this one. */
  droppedBefore: number;
}

export interface RosEnvConnectOptions {
  /** Further topics to subscribe to (plain JSON), read back with `recent(topic)`. */
  extraTopics?: { name: string; type: string }[];
}

/** The message of `history` whose stamp is nearest to `stampSec` (the newest when stamps are missing). */
function nearestInTime(history: readonly Stamped[], stampSec: number): Stamped | undefined {
  let best: Stamped | undefined;
  let bestOff = Infinity;
  for (const m of history) {
    const off = Number.isFinite(m.stampSec) ? Math.abs(m.stampSec - stampSec) : Infinity;
    if (off < bestOff || (off === bestOff && (!best || m.receivedMs > best.receivedMs))) {
      best = m;
      bestOff = off;
    }
  }
  return best;
}

export class RosEnv implements Env {
  readonly tasks: readonly string[];
  readonly config: RosEnvConfig;
  private readonly ros: RosLike;
  private readonly cameras: CameraConfig[];
  private readonly tf = new TfBuffer();
  private readonly history = new Map<string, Stamped[]>();
  private readonly latest = new Map<string, Stamped>();
  private readonly topics: TopicLike<Record<string, unknown>>[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly calibration = new Map<string, { parent: 'world' | 'gripper'; pose: Pose }>();
  private connected = false;
  private closing = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectAttempts = 0;
  private connectionEpoch = 0;
  private stepIndex = 0;
  private goal = '';
  private lastAnswerMs = -Infinity;
  private readonly frameListeners = new Set<(frame: StampedObservation) => void>();
  private readonly streamErrors: unknown[] = [];
  private lastEmittedStampSec = -Infinity;
  private readonly extraTopics: { name: string; type: string }[];
  /** Commands sent since the last reset, for dry checks and logs. */
  commandsSent = 0;

  private constructor(config: RosEnvConfig, extraTopics: { name: string; type: string }[]) {
    this.config = config;
    this.extraTopics = extraTopics;
    this.cameras = cameraConfigs(config);
    this.tasks = config.tasks ?? (config.resetService ? SERVED_TASK_NAMES : ['robot']);
    if (config.extrinsics.source === 'calibration') {
      for (const c of this.cameras) {
        const entry = config.extrinsics.cameras[c.name];
        if (!entry) throw invalidArgument(`extrinsics.cameras.${c.name}`, 'missing: every camera needs a calibrated pose');
        this.calibration.set(c.name, calibratedPose(entry));
      }
    }
    this.ros = new Ros({});
    this.ros.on('connection', () => {
      // Registered before any topic: roslib replays subscriptions on 'connection' after this.
      if (config.token) this.ros.authenticate(config.token, '', '', '', 0, '', 0);
      this.connected = true;
      this.reconnectAttempts = 0;
      this.wake();
    });
    this.ros.on('close', () => {
      this.connected = false;
      this.connectionEpoch++;
      this.wake();
      if (!this.closing) this.scheduleReconnect();
    });
    this.ros.on('error', () => {
      // 'close' follows an error; reconnecting is handled there.
    });
  }

  /** Connects (waiting for the socket to open, unlike roslib's connect()) and subscribes. */
  static async connect(config: RosEnvConfigInput | RosEnvConfig, options: RosEnvConnectOptions = {}): Promise<RosEnv> {
    const env = new RosEnv(parseRosEnvConfig(config), options.extraTopics ?? []);
    try {
      await env.open();
    } catch (err) {
      await env.close();
      throw err;
    }
    return env;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  private async open(): Promise<void> {
    const { url, connectTimeoutMs } = this.config;
    const opened = this.waitFor(() => this.connected, connectTimeoutMs, () => `could not connect to ${url} within ${connectTimeoutMs} ms (is the rosbridge server running and reachable?)`, 'CONNECTION');
    await this.ros.connect(url).catch((err: Error) => {
      throw new PeractError('CONNECTION', `cannot connect to ${url}: ${err.message}`, { cause: err });
    });
    await opened;
    this.subscribeAll();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || this.closing) return;
    const delay = Math.min(this.config.reconnectDelayMs * 2 ** this.reconnectAttempts, this.config.reconnectDelayMs * 10);
    this.reconnectAttempts++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.closing) return;
      this.ros.connect(this.config.url).catch(() => this.scheduleReconnect());
    }, delay);
  }

  private subscribe(name: string, type: string, compression: 'none' | 'png' | 'cbor', onMessage: (msg: Record<string, unknown>) => void): void {
    const topic = new Topic<Record<string, unknown>>({ ros: this.ros, name, messageType: type, compression, reconnect_on_close: true });
    topic.subscribe(onMessage);
    this.topics.push(topic);
  }

  private subscribeAll(): void {
    const c = this.config;
    const keep = (topic: string, historical: boolean) => (msg: Record<string, unknown>) => {
      const header = msg.header as Record<string, unknown> | undefined;
      const item = { msg, stampSec: secondsOf(header?.stamp), receivedMs: performance.now() };
      this.latest.set(topic, item);
      if (historical) {
        const h = this.history.get(topic) ?? [];
        h.push(item);
        if (h.length > HISTORY) h.shift();
        this.history.set(topic, h);
      }
      this.wake();
    };
    for (const cam of this.cameras) {
      this.subscribe(cam.colourTopic, 'sensor_msgs/Image', c.imageCompression, keep(cam.colourTopic, true));
      this.subscribe(cam.depthTopic, 'sensor_msgs/Image', c.imageCompression, keep(cam.depthTopic, true));
      // rosbridge 0.11 cannot CBOR-encode CameraInfo's fixed-size arrays: always plain JSON.
      this.subscribe(cam.infoTopic, 'sensor_msgs/CameraInfo', 'none', keep(cam.infoTopic, false));
    }
    const tfTopics = new Set<string>();
    if (c.extrinsics.source === 'tf') {
      tfTopics.add(c.extrinsics.tfTopic);
      tfTopics.add(c.extrinsics.tfStaticTopic);
    }
    if (c.gripper.source === 'tf') tfTopics.add(c.gripper.tfTopic);
    for (const t of tfTopics) this.subscribe(t, 'tf2_msgs/TFMessage', 'none', (msg) => {
      this.tf.add(msg);
      this.latest.set(t, { msg: {}, stampSec: Number.NaN, receivedMs: performance.now() });
      this.wake();
    });
    if (c.gripper.source === 'state') this.subscribe(c.gripper.topic, 'peract_msgs/GripperState', 'none', keep(c.gripper.topic, true));
    const jointTopic = c.gripper.source === 'tf' ? c.gripper.jointStatesTopic : c.jointStates?.topic;
    if (jointTopic) this.subscribe(jointTopic, 'sensor_msgs/JointState', 'none', keep(jointTopic, true));
    if (c.jointStates && c.jointStates.topic !== jointTopic) this.subscribe(c.jointStates.topic, 'sensor_msgs/JointState', 'none', keep(c.jointStates.topic, true));
    for (const t of this.extraTopics) this.subscribe(t.name, t.type, 'none', keep(t.name, true));
    if (c.goalTopic) this.subscribe(c.goalTopic, 'std_msgs/String', 'none', keep(c.goalTopic, false));
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
    if (this.frameListeners.size > 0) this.emitFrameSets();
  }

  /**
   * Calls `listener` with every synchronised set of camera frames as it completes, in stamp
   * order, each with the gripper and joint states nearest to it in time: the stream a recorder
   * needs (`observe` instead waits for the newest set after a moment). A set that never completes
   * before a newer one does is dropped and counted. Returns the function that stops listening.
   */
  onFrameSet(listener: (frame: StampedObservation) => void): () => void {
    if (typeof listener !== 'function') throw invalidArgument('listener', 'must be a function');
    this.frameListeners.add(listener);
    return () => {
      this.frameListeners.delete(listener);
    };
  }

  /** Messages received on one of the `extraTopics` given to `connect`, newest last (at most a few). */
  recent(topic: string): readonly { msg: Record<string, unknown>; stampSec: number }[] {
    return this.history.get(topic) ?? [];
  }

  private emitFrameSets(): void {
    const first = this.history.get(this.cameras[0].colourTopic) ?? [];
    for (let r = first.length - 1; r >= 0; r--) {
      const ref = first[r];
      if (!(ref.stampSec > this.lastEmittedStampSec)) break;
      const set = this.setAt(ref.stampSec, -Infinity);
      if (!set) continue;
      // Reference frames between the last emitted set and this one never completed.
      const skipped = first.slice(0, r).filter((m) => m.stampSec > this.lastEmittedStampSec).length;
      this.lastEmittedStampSec = ref.stampSec;
      let frame: StampedObservation | undefined;
      try {
        frame = this.stampedObservation(set, ref.stampSec, skipped);
      } catch (err) {
        this.streamErrors.push(err);
        return;
      }
      if (!frame) return;
      for (const l of [...this.frameListeners]) l(frame);
      return;
    }
  }

  /** Builds one streamed frame; undefined while no gripper state has arrived yet. */
  private stampedObservation(set: { colour: Stamped; depth: Stamped }[], stampSec: number, dropped: number): StampedObservation | undefined {
    const nearest = (topic: string): Stamped | undefined => nearestInTime(this.history.get(topic) ?? [], stampSec);
    const gripper = this.gripperState(-Infinity, nearest);
    if (!gripper) return undefined;
    const joints = this.jointPositions(-Infinity, nearest);
    const skews = [this.gripperTopic(), ...(this.config.jointStates ? [this.config.jointStates.topic] : [])]
      .map((t) => nearest(t)?.stampSec ?? Number.NaN)
      .concat(set.flatMap((s) => [s.colour.stampSec, s.depth.stampSec]))
      .filter(Number.isFinite)
      .map((t) => Math.abs(t - stampSec) * 1000);
    const observation = this.buildObservation(set, gripper, joints ?? null);
    return { observation, stampSeconds: stampSec, skewMs: skews.length > 0 ? Math.max(...skews) : 0, droppedBefore: dropped };
  }

  private gripperTopic(): string {
    const g = this.config.gripper;
    return g.source === 'state' ? g.topic : g.jointStatesTopic;
  }

  /** Errors met while building streamed frames (a malformed message), oldest first; taken by the caller. */
  takeStreamErrors(): unknown[] {
    return this.streamErrors.splice(0);
  }

  /** Resolves when `ready()` is true (re-checked on every message), or fails after `timeoutMs`. */
  private waitFor<T>(ready: () => T | undefined | false, timeoutMs: number, describe: () => string, code: 'TIMEOUT' | 'CONNECTION' = 'TIMEOUT'): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        let value: T | undefined | false;
        try {
          value = ready();
        } catch (err) {
          cleanup();
          reject(err);
          return;
        }
        if (value !== undefined && value !== false) {
          cleanup();
          resolve(value);
        }
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new PeractError(code, describe()));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  private call(service: string, type: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    const epoch = this.connectionEpoch;
    return new Promise((resolve, reject) => {
      const timeoutMs = this.config.serviceTimeoutMs;
      const done = (fn: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(onDrop);
        fn();
      };
      const timer = setTimeout(() => done(() => reject(new PeractError('TIMEOUT', `service ${service} did not answer within ${timeoutMs} ms`))), timeoutMs);
      const onDrop = () => {
        if (this.connectionEpoch !== epoch) done(() => reject(new PeractError('CONNECTION', `the connection to ${this.config.url} dropped during the ${service} call; its outcome is unknown`)));
      };
      this.waiters.add(onDrop);
      if (!this.connected) {
        done(() => reject(new PeractError('CONNECTION', `not connected to ${this.config.url} (reconnecting)`)));
        return;
      }
      new Service<Record<string, unknown>, Record<string, unknown>>({ ros: this.ros, name: service, serviceType: type }).callService(
        args,
        (values) => {
          // Taken in the callback itself: frames after this moment were published after the command finished.
          this.lastAnswerMs = performance.now();
          done(() => resolve(values));
        },
        (error) => done(() => reject(new PeractError('INTERNAL', `service ${service} failed: ${String(error)}`))),
      );
    });
  }

  /**
   * The current observation: the newest synchronised set of camera frames that arrived after
   * `sinceMs` (performance.now clock), with the gripper state and camera poses.
   */
  async observe(sinceMs = -Infinity): Promise<Observation> {
    const found = await this.waitFor(
      () => {
        if (!this.connected) return undefined;
        return this.synchronisedSet(sinceMs) ?? undefined;
      },
      this.config.topicTimeoutMs,
      () => this.describeSilence(sinceMs),
    );
    // Gripper state, joint states and the goal, like the images: waited for, never left out.
    const { gripper, joints } = await this.waitFor(
      () => {
        const g = this.gripperState(sinceMs);
        if (!g) return undefined;
        const j = this.jointPositions(sinceMs);
        if (j === undefined) return undefined;
        if (this.config.goalTopic && !this.latest.has(this.config.goalTopic)) return undefined;
        return { gripper: g, joints: j };
      },
      this.config.topicTimeoutMs,
      () => this.describeSilence(sinceMs, true),
    );
    return this.buildObservation(found, gripper, joints);
  }

  private buildObservation(found: { colour: Stamped; depth: Stamped }[], gripper: GripperReading, joints: number[] | null): Observation {
    const cameras: CameraFrame[] = this.cameras.map((cam, i) => {
      const { colour, depth } = found[i];
      const c = decodeColour(colour.msg, cam.colourTopic);
      const d = decodeDepth(depth.msg, cam.depthTopic);
      if (c.width !== d.width || c.height !== d.height) throw new PeractError('INVALID_ARGUMENT', `${cam.name}: colour ${c.width}x${c.height} and depth ${d.width}x${d.height} differ (register depth to colour)`, { field: cam.depthTopic });
      const info = this.latest.get(cam.infoTopic) as Stamped;
      const k = intrinsicsFromCameraInfo(info.msg, cam.infoTopic);
      return {
        name: cam.name,
        width: c.width,
        height: c.height,
        rgb: c.rgb,
        depthMetres: d.depthMetres,
        intrinsics: { fx: k.fx, fy: k.fy, cx: k.cx, cy: k.cy },
        worldFromCamera: this.cameraPose(cam, gripper.pose),
      };
    });
    const observation: Observation = {
      cameras,
      gripperPose: gripper.pose,
      gripperOpen: gripper.open,
      fingerWidthsMetres: gripper.fingers,
      step: this.stepIndex,
    };
    if (joints) observation.jointPositionsRad = joints;
    return observation;
  }

  /** Per camera the newest colour+depth pair whose stamps agree with all other cameras'. */
  private synchronisedSet(sinceMs: number): { colour: Stamped; depth: Stamped }[] | null {
    const first = (this.history.get(this.cameras[0].colourTopic) ?? []).filter((m) => m.receivedMs > sinceMs);
    // Try reference stamps newest first: the first camera's colour frames.
    for (let r = first.length - 1; r >= 0; r--) {
      const set = this.setAt(first[r].stampSec, sinceMs);
      if (set) return set;
    }
    return null;
  }

  /** Per camera the newest colour+depth pair received after `sinceMs` within the tolerance of stamp `ref`. */
  private setAt(ref: number, sinceMs: number): { colour: Stamped; depth: Stamped }[] | null {
    const tolSec = this.config.syncToleranceMs / 1000;
    for (const cam of this.cameras) if (!this.latest.has(cam.infoTopic)) return null;
    const pick = (topic: string) => {
      let best: Stamped | undefined;
      for (const m of this.history.get(topic) ?? []) {
        if (m.receivedMs <= sinceMs) continue;
        const off = Number.isFinite(ref) && Number.isFinite(m.stampSec) ? Math.abs(m.stampSec - ref) : 0;
        if (off <= tolSec && (!best || m.receivedMs > best.receivedMs)) best = m;
      }
      return best;
    };
    const out: { colour: Stamped; depth: Stamped }[] = [];
    for (const cam of this.cameras) {
      const colour = pick(cam.colourTopic);
      const depth = pick(cam.depthTopic);
      if (!colour || !depth) return null;
      out.push({ colour, depth });
    }
    return out;
  }

  /** Which topics have said nothing since `sinceMs` (performance.now clock), in words. */
  explainSilence(sinceMs: number): string {
    return this.describeSilence(sinceMs, true);
  }

  private describeSilence(sinceMs: number, gripperToo = false): string {
    if (!this.connected) return `not connected to ${this.config.url} (waiting to reconnect)`;
    const silent: string[] = [];
    for (const cam of this.cameras) {
      for (const t of [cam.colourTopic, cam.depthTopic]) if (!(this.history.get(t) ?? []).some((m) => m.receivedMs > sinceMs)) silent.push(t);
      if (!this.latest.has(cam.infoTopic)) silent.push(cam.infoTopic);
    }
    const g = this.config.gripper;
    const fresh = (topic: string) => (this.latest.get(topic)?.receivedMs ?? -Infinity) > sinceMs;
    if (gripperToo) {
      const topics = new Set([g.source === 'state' ? g.topic : g.jointStatesTopic]);
      if (this.config.jointStates) topics.add(this.config.jointStates.topic);
      for (const t of topics) if (!fresh(t)) silent.push(t);
      if (this.config.goalTopic && !this.latest.has(this.config.goalTopic)) silent.push(this.config.goalTopic);
    }
    if (silent.length > 0) return `no message within ${this.config.topicTimeoutMs} ms on ${silent.join(', ')}`;
    return `camera frames did not agree within ${this.config.syncToleranceMs} ms (syncToleranceMs) across ${this.cameras.map((c) => c.name).join(', ')}`;
  }

  private gripperState(sinceMs: number, pick: (topic: string) => Stamped | undefined = (t) => this.latest.get(t)): GripperReading | undefined {
    const g = this.config.gripper;
    if (g.source === 'state') {
      const m = pick(g.topic);
      if (!m || m.receivedMs <= sinceMs) return undefined;
      const widths = (m.msg.finger_widths as ArrayLike<number> | undefined) ?? [0, 0];
      return { pose: poseFromMsg(m.msg.pose, `${g.topic}.pose`), open: Boolean(m.msg.open), fingers: [Number(widths[0]), Number(widths[1])] };
    }
    const js = pick(g.jointStatesTopic);
    if (!js || js.receivedMs <= sinceMs || !this.tf.has(g.frame)) return undefined;
    const names = js.msg.name as string[];
    const positions = js.msg.position as ArrayLike<number>;
    const fingers = g.fingerJoints.map((n) => Number(positions?.[names?.indexOf(n) ?? -1] ?? Number.NaN)) as [number, number];
    if (!fingers.every(Number.isFinite)) throw new PeractError('NOT_FOUND', `${g.jointStatesTopic} has no joints ${g.fingerJoints.join(', ')}`, { field: 'gripper.fingerJoints' });
    return { pose: this.tf.lookup(this.config.worldFrame, g.frame), open: fingers[0] + fingers[1] > g.openAboveMetres, fingers };
  }

  /**
   * The configured joints' positions from a joint-state message newer than `sinceMs`: undefined
   * while none has arrived, null when no joint states are configured. A message without the
   * configured joints is an error naming them.
   */
  private jointPositions(sinceMs: number, pick: (topic: string) => Stamped | undefined = (t) => this.latest.get(t)): number[] | null | undefined {
    const j = this.config.jointStates;
    if (!j) return null;
    const m = pick(j.topic);
    if (!m || m.receivedMs <= sinceMs) return undefined;
    const names = Array.isArray(m.msg.name) ? (m.msg.name as unknown[]) : [];
    const positions = m.msg.position as ArrayLike<number> | undefined;
    const out = j.names.map((n) => Number(positions?.[names.indexOf(n)] ?? Number.NaN));
    const missing = j.names.filter((_, i) => !Number.isFinite(out[i]));
    if (missing.length > 0) {
      const have = names.filter((n) => typeof n === 'string').slice(0, 20).join(', ') || 'none';
      throw new PeractError('NOT_FOUND', `${j.topic} has no finite position for ${missing.join(', ')} (it names: ${have}); set jointStates.names, or jointStates to null`, { field: 'jointStates.names' });
    }
    return out;
  }

  private cameraPose(cam: CameraConfig, gripperPose: Pose): number[] {
    const cal = this.calibration.get(cam.name);
    if (cal) {
      if (cal.parent === 'world') return matrixFromPose(cal.pose);
      const m = matrix4FromPose(gripperPose).multiply(matrix4FromPose(cal.pose));
      return m.transpose().toArray();
    }
    return matrixFromPose(this.tf.lookup(this.config.worldFrame, cam.frameId));
  }

  async reset(options: ResetOptions): Promise<ResetResult> {
    if (!options || typeof options !== 'object' || typeof options.task !== 'string') throw invalidArgument('options.task', 'must be a task name');
    let variation = options.variation ?? 0;
    let goal: string | undefined;
    if (this.config.resetService) {
      const r = await this.call(this.config.resetService, 'peract_msgs/Reset', { task: options.task, variation: options.variation ?? -1, seed: options.seed ?? 0 });
      if (!r.success) throw new PeractError('INVALID_ARGUMENT', `reset failed: ${String(r.message)}`, { field: 'options' });
      variation = Number(r.variation);
      goal = String(r.goal);
    }
    const since = this.lastAnswerMs;
    this.stepIndex = 0;
    this.commandsSent = 0;
    // observe() waits for the goal topic too: read the goal after it.
    const observation = await this.observe(this.config.resetService ? since : -Infinity);
    if (goal === undefined) goal = this.config.goalTopic ? String(this.latest.get(this.config.goalTopic)?.msg.data ?? '') : '';
    this.goal = goal;
    return { observation, goal, variation };
  }

  /** The robot's current goal text (from the goal topic or the last reset). */
  get currentGoal(): string {
    const g = this.config.goalTopic ? this.latest.get(this.config.goalTopic)?.msg.data : undefined;
    return typeof g === 'string' && g !== '' ? g : this.goal;
  }

  async step(action: Action): Promise<StepResult> {
    const a = checkAction(action);
    const cmd = this.config.command;
    this.stepIndex++;
    this.commandsSent++;
    let success = false;
    let done = false;
    let failureReason: string | undefined;
    let refused = false;
    const target = { header: { frame_id: this.config.worldFrame, stamp: { sec: 0, nanosec: 0 } }, pose: poseMsg({ positionMetres: a.positionMetres, quaternion: a.quaternion }) };
    let since = performance.now();
    if (cmd.mode === 'service') {
      const r = await this.call(cmd.service, cmd.type, { target, gripper_open: a.gripperOpen, ignore_collisions: a.ignoreCollisions });
      success = Boolean(r.task_success);
      done = Boolean(r.done);
      if (!r.success) failureReason = String(r.message);
      // Robots that say so (peract_msgs/Execute's `refused`): the action never started.
      refused = !r.success && r.refused === true;
      since = this.lastAnswerMs;
    } else {
      new Topic({ ros: this.ros, name: cmd.poseTopic, messageType: 'geometry_msgs/PoseStamped' }).publish(target);
      new Topic({ ros: this.ros, name: cmd.gripperTopic, messageType: 'std_msgs/Bool' }).publish({ data: a.gripperOpen });
      if (cmd.ignoreCollisionsTopic) new Topic({ ros: this.ros, name: cmd.ignoreCollisionsTopic, messageType: 'std_msgs/Bool' }).publish({ data: a.ignoreCollisions });
      await new Promise((r) => setTimeout(r, cmd.settleMs));
      if (this.config.successService) {
        const r = await this.call(this.config.successService, 'std_srvs/Trigger', {});
        success = Boolean(r.success);
      }
      done = success;
      since = performance.now();
    }
    const observation = await this.observe(since);
    return {
      observation,
      success,
      // The robot's own `done` decides: the simulator behind the bridge goes on after a move a
      // contact stopped, and a real robot's driver knows whether it can go on.
      done,
      ...(failureReason ? { failureReason } : {}),
      ...(refused ? { refused } : {}),
    };
  }

  /** Asks the robot's success service (false when it has none). */
  async isSuccess(): Promise<boolean> {
    if (!this.config.successService) return false;
    const r = await this.call(this.config.successService, 'std_srvs/Trigger', {});
    return Boolean(r.success);
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    for (const t of this.topics) t.unsubscribe();
    this.topics.length = 0;
    this.ros.close();
    this.connected = false;
    this.wake();
  }
}

function checkAction(action: Action): Action {
  if (!action || typeof action !== 'object') throw invalidArgument('action', 'must be an Action');
  const p = action.positionMetres;
  if (!Array.isArray(p) || p.length !== 3 || !p.every(Number.isFinite)) throw invalidArgument('action.positionMetres', 'must be 3 finite numbers');
  const quaternion = canonicalQuaternion(action.quaternion, 'action.quaternion');
  if (typeof action.gripperOpen !== 'boolean') throw invalidArgument('action.gripperOpen', 'must be a boolean');
  if (typeof action.ignoreCollisions !== 'boolean') throw invalidArgument('action.ignoreCollisions', 'must be a boolean');
  return { ...action, quaternion };
}
