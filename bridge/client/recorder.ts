// Over 400 lines: one recording session's state (the episode in progress, its keyframe
// detector, the gripper settling, the health watch and the unsaved episode) is read by the
// frame handler, the timers and the start/stop/discard commands alike.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { invalidArgument, PeractError, type CameraFrame } from '../../core/index.js';
import { DEFAULT_AUGMENTATION_EVERY, MotionKeyframeDetector, openDatasetWriter, recordedFrames, type DatasetWriter, type EpisodeEntry, type EpisodeRecord, type LowDimFrame, type MotionKeyframeOptions } from '../../dataset/index.js';
import { RosEnv, type StampedObservation } from './ros-env.js';
import { parseRosEnvConfig, type RosEnvConfig, type RosEnvConfigInput } from './ros-env-config.js';
import { secondsOf } from '../ros/ros-messages.js';

/**
 * Records demonstrations from any rosbridge robot into the dataset format `peract demos`
 * writes. The person moves the arm (teleoperation, by hand, any controller); the recorder
 * streams RosEnv's synchronised camera sets, turns the motion into keyframes with the metres-and-
 * seconds rule of dataset/motion-keyframes.ts, keeps the images of frame 0, every
 * `imageEvery`-th frame and the frames that are or may still become keyframes, and writes the
 * episode through the dataset writer (atomic files, checksums, the manifest as commit point).
 *
 * An episode is never half-written: a camera that stops or a connection that drops mid-episode
 * discards it (the user is told why), and a write that fails (a full disk) leaves the dataset as
 * it was and keeps the episode in memory, so `stop` again retries and `discard` gives it up.
 */

export interface RecordingConfig {
  /** peract_msgs/Command topic on which the robot announces each action it starts; its collision flag is recorded. null: none. */
  executedTopic: string | null;
  /** The collision flag recorded when no action was announced. Default false. */
  ignoreCollisions: boolean;
  /** Keep the images of every n-th frame (PerAct's demo augmentation start frames). Default 10. */
  imageEvery: number;
  /** An episode is stopped and saved when it reaches this length. Default 600 s. */
  maxEpisodeSeconds: number;
  keyframes: MotionKeyframeOptions;
}

export const DEFAULT_RECORDING: RecordingConfig = {
  executedTopic: '/peract/executed',
  ignoreCollisions: false,
  imageEvery: DEFAULT_AUGMENTATION_EVERY,
  maxEpisodeSeconds: 600,
  keyframes: {},
};

export interface RecorderOptions {
  /** RosEnv's configuration of the robot (topics, encodings, calibration, tf). */
  robot: RosEnvConfigInput | RosEnvConfig;
  /** Dataset folder; created when missing, continued (new episode numbers) when it exists. */
  out: string;
  /** Task name of the episodes (letters, digits, _ . -). */
  task: string;
  /** Goal text stored with each episode (`start` may give another). */
  goal: string;
  recording?: Partial<RecordingConfig>;
  onEvent?: (event: RecorderEvent) => void;
  /** Opens the dataset writer (tests put a failing disk here). Default `openDatasetWriter`. */
  openWriter?: (dir: string) => Promise<DatasetWriter>;
}

export type RecorderState = 'idle' | 'recording' | 'unsaved';

export interface RecorderStatus {
  state: RecorderState;
  /** Number of the episode being (or next to be) recorded: its folder is `<task>/ep<number>`. */
  episode: number;
  frames: number;
  seconds: number;
  /** Camera sets a second over the last two seconds (also while idle). */
  framesPerSecond: number;
  /** Camera sets lost in this episode: sets that never completed, and gaps in the stamps. */
  dropped: number;
  keyframes: number;
  /** Largest stamp difference between the cameras and the robot state used in one frame, this episode, ms. */
  maxSkewMs: number;
  /** Episodes saved since the recorder opened. */
  saved: number;
}

export type RecorderEvent =
  | { kind: 'started'; episode: number; goal: string }
  | { kind: 'saved'; episode: number; entry: EpisodeEntry; seconds: number; maxSkewMs: number; dropped: number }
  | { kind: 'discarded'; episode: number; reason: string }
  | { kind: 'not-saved'; episode: number; reason: string }
  | { kind: 'warning'; message: string };

export type StopOutcome =
  | { saved: true; episode: number; entry: EpisodeEntry }
  | { saved: false; episode: number; reason: string; kept: boolean };

interface Episode {
  number: number;
  goal: string;
  startStamp: number;
  frames: LowDimFrame[];
  stamps: number[];
  images: Map<number, CameraFrame[]>;
  detector: MotionKeyframeDetector;
  dropped: number;
  maxSkewMs: number;
  lastReceivedMs: number;
  /** The gripper state the keyframe rule sees (see `settledGripper`), and when the raw state last changed. */
  settledOpen: boolean | null;
  flipIndex: number | null;
  /** Set once stopped and waiting to be written. */
  record?: EpisodeRecord;
}

/** Finger-width thresholds of `settledGripper` (both fingers together). */
const FINGER_MOVED_METRES = 0.002;
const FINGER_STILL_METRES = 0.001;
const FINGER_STILL_SECONDS = 0.1;
const GRIPPER_SETTLE_MAX_SECONDS = 1.5;

/** How often the recorder checks for silent cameras and a dropped connection. */
const WATCH_MS = 200;

export class Recorder {
  readonly dir: string;
  readonly task: string;
  readonly recording: RecordingConfig;
  private goal: string;
  private episode: Episode | null = null;
  private savedCount = 0;
  private readonly arrivals: number[] = [];
  private readonly unlisten: () => void;
  private readonly watch: NodeJS.Timeout;
  private writeQueue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly env: RosEnv,
    private readonly writer: DatasetWriter,
    options: RecorderOptions,
    recording: RecordingConfig,
  ) {
    this.dir = options.out;
    this.task = options.task;
    this.goal = options.goal;
    this.recording = recording;
    this.onEvent = options.onEvent ?? (() => undefined);
    this.unlisten = env.onFrameSet((frame) => this.onFrame(frame));
    this.watch = setInterval(() => this.checkHealth(), WATCH_MS);
  }

  private readonly onEvent: (event: RecorderEvent) => void;

  /** Connects to the robot and opens (or creates) the dataset. */
  static async open(options: RecorderOptions): Promise<Recorder> {
    if (!options || typeof options !== 'object') throw invalidArgument('options', 'must be { robot, out, task, goal }');
    if (typeof options.out !== 'string' || options.out === '') throw invalidArgument('out', 'must be a dataset folder');
    if (typeof options.task !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(options.task)) {
      throw invalidArgument('task', `must be letters, digits, _ . - (not starting with . or -), got ${JSON.stringify(options.task)}`);
    }
    if (typeof options.goal !== 'string' || options.goal.trim() === '') throw invalidArgument('goal', 'must be a non-empty goal text');
    const robot = parseRosEnvConfig(options.robot);
    // Defaults, then the configuration file's `recording`, then the caller's (flags).
    const fromFile = robot.recording ?? {};
    const given = options.recording ?? {};
    const recording = checkRecording({
      ...DEFAULT_RECORDING,
      ...definedOnly(fromFile),
      ...definedOnly(given),
      keyframes: { ...definedOnly(fromFile.keyframes ?? {}), ...definedOnly(given.keyframes ?? {}) },
    });
    const writer = await (options.openWriter ?? ((dir: string) => openDatasetWriter(dir, { create: true })))(options.out);
    const extraTopics = recording.executedTopic ? [{ name: recording.executedTopic, type: 'peract_msgs/Command' }] : [];
    const env = await RosEnv.connect(robot, { extraTopics });
    return new Recorder(env, writer, options, recording);
  }

  get status(): RecorderStatus {
    const e = this.episode;
    const now = performance.now();
    const recent = this.arrivals.filter((t) => now - t <= 2000);
    return {
      state: !e ? 'idle' : e.record ? 'unsaved' : 'recording',
      episode: e?.number ?? this.nextEpisodeNumber(),
      frames: e?.frames.length ?? 0,
      seconds: e && e.frames.length > 0 ? e.frames[e.frames.length - 1].timeSeconds : 0,
      framesPerSecond: recent.length / 2,
      dropped: e?.dropped ?? 0,
      keyframes: e?.detector.keyframes.length ?? 0,
      maxSkewMs: e?.maxSkewMs ?? 0,
      saved: this.savedCount,
    };
  }

  /** Starts an episode (with another goal text when given). Fails while one is recording or unsaved. */
  start(goal?: string): { episode: number; goal: string } {
    if (this.episode) {
      throw new PeractError('INVALID_ARGUMENT', this.episode.record ? `episode ${this.episode.number} is not saved yet: stop again to retry saving, or discard it` : `episode ${this.episode.number} is already recording`, { field: 'start' });
    }
    if (goal !== undefined) {
      if (typeof goal !== 'string') throw invalidArgument('goal', 'must be a string');
      if (goal.trim() !== '') this.goal = goal.trim();
    }
    const number = this.nextEpisodeNumber();
    this.episode = {
      number,
      goal: this.goal,
      startStamp: Number.NaN,
      frames: [],
      stamps: [],
      images: new Map(),
      detector: new MotionKeyframeDetector(this.recording.keyframes),
      dropped: 0,
      maxSkewMs: 0,
      lastReceivedMs: performance.now(),
      settledOpen: null,
      flipIndex: null,
    };
    this.onEvent({ kind: 'started', episode: number, goal: this.goal });
    return { episode: number, goal: this.goal };
  }

  /** Ends the episode and writes it (or retries writing an unsaved one). */
  stop(): Promise<StopOutcome> {
    const run = this.writeQueue.then(() => this.stopNow());
    this.writeQueue = run.catch(() => undefined);
    return run;
  }

  /** Drops the episode being recorded or waiting to be saved. */
  discard(reason = 'discarded by the user'): { episode: number } | null {
    const e = this.episode;
    if (!e) return null;
    this.episode = null;
    this.onEvent({ kind: 'discarded', episode: e.number, reason });
    return { episode: e.number };
  }

  async close(): Promise<void> {
    clearInterval(this.watch);
    this.unlisten();
    await this.writeQueue;
    await this.env.close();
  }

  private nextEpisodeNumber(): number {
    const seeds = this.writer.episodes.filter((e) => e.task === this.task).map((e) => e.seed);
    return seeds.length === 0 ? 0 : Math.max(...seeds) + 1;
  }

  private async stopNow(): Promise<StopOutcome> {
    const e = this.episode;
    if (!e) throw new PeractError('INVALID_ARGUMENT', 'no episode is recording: start one first', { field: 'stop' });
    if (!e.record) {
      if (e.frames.length < 2) {
        this.discard('fewer than two camera frames arrived');
        return { saved: false, episode: e.number, reason: 'fewer than two camera frames arrived', kept: false };
      }
      e.record = this.toRecord(e);
    }
    try {
      const entry = await this.writer.writeEpisode(e.record);
      this.episode = null;
      this.savedCount++;
      this.onEvent({ kind: 'saved', episode: e.number, entry, seconds: e.frames[e.frames.length - 1].timeSeconds, maxSkewMs: e.maxSkewMs, dropped: e.dropped });
      return { saved: true, episode: e.number, entry };
    } catch (err) {
      // The manifest was not rewritten: the dataset is as it was. Remove the unlisted files.
      await fs.rm(join(this.dir, this.task, `ep${e.number}`), { recursive: true, force: true }).catch(() => undefined);
      const reason = `not saved (${(err as Error).message}); the dataset is unchanged and the episode is kept in memory: stop again to retry, or discard`;
      this.onEvent({ kind: 'not-saved', episode: e.number, reason });
      return { saved: false, episode: e.number, reason, kept: true };
    }
  }

  private toRecord(e: Episode): EpisodeRecord {
    const keyframes = e.detector.finish();
    if (keyframes.length === 0) throw new PeractError('INVALID_ARGUMENT', 'the episode has no keyframe: the arm never moved', { field: 'stop' });
    const keep = recordedFrames(keyframes, e.frames.length, this.recording.imageEvery);
    const images = new Map<number, CameraFrame[]>();
    for (const f of keep) {
      const cams = e.images.get(f);
      if (!cams) throw new PeractError('INTERNAL', `images of frame ${f} were not kept`);
      images.set(f, cams);
    }
    return { task: this.task, variation: 0, seed: e.number, goals: [e.goal], frames: e.frames, keyframes, images };
  }

  private onFrame(frame: StampedObservation): void {
    const now = performance.now();
    this.arrivals.push(now);
    while (this.arrivals.length > 0 && now - this.arrivals[0] > 2000) this.arrivals.shift();
    const e = this.episode;
    if (!e || e.record) return;
    const last = e.stamps.length > 0 ? e.stamps[e.stamps.length - 1] : Number.NaN;
    if (frame.stampSeconds <= last) return;
    if (e.frames.length === 0) e.startStamp = frame.stampSeconds;
    else {
      e.dropped += frame.droppedBefore + this.gapFrames(e, frame.stampSeconds - last);
    }
    e.lastReceivedMs = now;
    e.maxSkewMs = Math.max(e.maxSkewMs, frame.skewMs);
    const obs = frame.observation;
    const timeSeconds = frame.stampSeconds - e.startStamp;
    const joints = obs.jointPositionsRad ?? [];
    const previous = e.frames[e.frames.length - 1];
    const dt = previous ? timeSeconds - previous.timeSeconds : 0;
    const velocities = joints.map((q, j) => (previous && dt > 0 && previous.jointPositionsRad.length === joints.length ? (q - previous.jointPositionsRad[j]) / dt : 0));
    const index = e.frames.length;
    e.frames.push({
      timeSeconds,
      gripperPose: obs.gripperPose,
      gripperOpen: obs.gripperOpen,
      ignoreCollisions: this.collisionFlagAt(frame.stampSeconds),
      fingerWidthsMetres: obs.fingerWidthsMetres ?? [0, 0],
      jointPositionsRad: [...joints],
      jointVelocitiesRadPerS: velocities,
    });
    e.stamps.push(frame.stampSeconds);
    e.images.set(index, obs.cameras);
    e.detector.push({ timeSeconds, positionMetres: obs.gripperPose.positionMetres, quaternion: obs.gripperPose.quaternion, gripperOpen: this.settledGripper(e) });
    this.prune(e);
    if (timeSeconds >= this.recording.maxEpisodeSeconds) {
      this.onEvent({ kind: 'warning', message: `episode ${e.number} reached ${this.recording.maxEpisodeSeconds} s (maxEpisodeSeconds): stopping it` });
      void this.stop();
    }
  }

  /**
   * The gripper state as the keyframe rule sees it: a change counts once the fingers have
   * finished moving (they moved more than FINGER_MOVED_METRES since the command and then stayed
   * within FINGER_STILL_METRES for FINGER_STILL_SECONDS), or GRIPPER_SETTLE_MAX_SECONDS after the
   * command when they do not move. So the keyframe of a grasp shows the closed fingers, as the
   * observation after executing that action does, not the moment the command went out.
   */
  private settledGripper(e: Episode): boolean {
    const index = e.frames.length - 1;
    const frame = e.frames[index];
    if (e.settledOpen === null) e.settledOpen = frame.gripperOpen;
    if (frame.gripperOpen === e.settledOpen) {
      e.flipIndex = null;
      return e.settledOpen;
    }
    if (e.flipIndex === null || e.frames[e.flipIndex].gripperOpen !== frame.gripperOpen) e.flipIndex = index;
    const flip = e.frames[e.flipIndex];
    const width = (f: LowDimFrame) => f.fingerWidthsMetres[0] + f.fingerWidthsMetres[1];
    const moved = Math.abs(width(frame) - width(flip)) > FINGER_MOVED_METRES;
    let still = true;
    let j = index;
    while (j > e.flipIndex && frame.timeSeconds - e.frames[j - 1].timeSeconds <= FINGER_STILL_SECONDS + 1e-6) {
      j--;
      if (Math.abs(width(e.frames[j]) - width(frame)) > FINGER_STILL_METRES) still = false;
    }
    const heldLongEnough = frame.timeSeconds - e.frames[j].timeSeconds >= FINGER_STILL_SECONDS - 1e-6;
    if ((moved && still && heldLongEnough) || frame.timeSeconds - flip.timeSeconds >= GRIPPER_SETTLE_MAX_SECONDS) {
      e.settledOpen = frame.gripperOpen;
      e.flipIndex = null;
    }
    return e.settledOpen;
  }

  /** Frames missing in a gap of the stamps, against the median of the last 20 intervals. */
  private gapFrames(e: Episode, dtSeconds: number): number {
    const recent = e.stamps.slice(-21);
    if (recent.length < 4) return 0;
    const intervals = recent.slice(1).map((s, i) => s - recent[i]);
    intervals.sort((a, b) => a - b);
    const median = intervals[Math.floor(intervals.length / 2)];
    return median > 0 && dtSeconds > 2.5 * median ? Math.round(dtSeconds / median) - 1 : 0;
  }

  /** Images are kept for frame 0, every imageEvery-th frame, keyframes, and frames that may still become one. */
  private prune(e: Episode): void {
    const pendingFrom = e.detector.pendingFrom;
    const keyframes = new Set(e.detector.keyframes);
    for (const index of e.images.keys()) {
      if (index >= pendingFrom) continue;
      if (index === 0 || index % this.recording.imageEvery === 0 || keyframes.has(index)) continue;
      e.images.delete(index);
    }
  }

  /** The collision flag of the newest announced action started at or before `stampSec`. */
  private collisionFlagAt(stampSec: number): boolean {
    const topic = this.recording.executedTopic;
    if (!topic) return this.recording.ignoreCollisions;
    let best: { stamp: number; flag: boolean } | undefined;
    for (const { msg } of this.env.recent(topic)) {
      const target = msg.target as { header?: { stamp?: unknown } } | undefined;
      const stamp = secondsOf(target?.header?.stamp);
      if (!(stamp <= stampSec)) continue;
      if (!best || stamp >= best.stamp) best = { stamp, flag: Boolean(msg.ignore_collisions) };
    }
    return best ? best.flag : this.recording.ignoreCollisions;
  }

  private checkHealth(): void {
    for (const err of this.env.takeStreamErrors()) this.onEvent({ kind: 'warning', message: `a camera frame could not be read: ${(err as Error).message}` });
    const e = this.episode;
    if (!e || e.record) return;
    if (!this.env.isConnected) {
      this.discard(`the connection to ${this.env.config.url} dropped during the episode; whether frames were lost is unknown`);
      return;
    }
    const silentMs = performance.now() - e.lastReceivedMs;
    if (silentMs > this.env.config.topicTimeoutMs) {
      this.discard(`no synchronised camera frames for ${(silentMs / 1000).toFixed(1)} s: ${this.env.explainSilence(e.lastReceivedMs)}`);
    }
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function checkRecording(r: RecordingConfig): RecordingConfig {
  if (r.executedTopic !== null && (typeof r.executedTopic !== 'string' || !r.executedTopic.startsWith('/'))) {
    throw invalidArgument('recording.executedTopic', 'must be a topic name starting with / or null');
  }
  if (typeof r.ignoreCollisions !== 'boolean') throw invalidArgument('recording.ignoreCollisions', 'must be a boolean');
  if (!Number.isInteger(r.imageEvery) || r.imageEvery < 1) throw invalidArgument('recording.imageEvery', `must be an integer >= 1, got ${String(r.imageEvery)}`);
  if (!(r.maxEpisodeSeconds > 0)) throw invalidArgument('recording.maxEpisodeSeconds', `must be > 0, got ${String(r.maxEpisodeSeconds)}`);
  // The detector checks its own thresholds and names them.
  new MotionKeyframeDetector(r.keyframes);
  return r;
}
