import { readFile } from 'node:fs/promises';
import { Quaternion } from 'three';
import { z } from 'zod';
import { canonicalQuaternion, invalidArgument, PeractError, type Pose } from '../../core/index.js';
import { PANDA_JOINT_NAMES, SIM_SERVICES, SIM_TOPICS, TOOL_FRAME, WORLD_FRAME, SERVED_CAMERA_NAMES } from '../ros/names.js';

/**
 * What RosEnv needs to know about a robot: topic names, encodings, where camera poses come
 * from, how to command the arm. Everything defaults to what `peract serve` offers, so
 * `{ "url": "ws://robot:9090" }` is a complete configuration for our server. The file is JSON
 * (README, "RosEnv"); flags override its fields.
 */

const vec3 = z.tuple([z.number(), z.number(), z.number()]);
const quat = z.tuple([z.number(), z.number(), z.number(), z.number()]);
const xyz = z.object({ x: z.number(), y: z.number(), z: z.number() });
const xyzw = z.object({ x: z.number(), y: z.number(), z: z.number(), w: z.number() });

/**
 * One camera's pose from a calibration: either our form (positionMetres + quaternion [x,y,z,w])
 * or the translation/rotation objects hand-eye tools (easy_handeye, MoveIt calibration) write.
 */
const calibrationEntry = z
  .object({
    /** 'world' (eye-to-hand) or 'gripper' (eye-in-hand: relative to the tool frame). Default world. */
    parent: z.enum(['world', 'gripper']).default('world'),
    /** 'optical' (+z forward, ROS optical) or 'link' (+x forward, ROS camera_link). Default optical. */
    frame: z.enum(['optical', 'link']).default('optical'),
    positionMetres: vec3.optional(),
    quaternion: quat.optional(),
    translation: xyz.optional(),
    rotation: xyzw.optional(),
  })
  .strict()
  .refine((c) => (c.positionMetres && c.quaternion) || (c.translation && c.rotation), 'needs positionMetres + quaternion, or translation + rotation');

const cameraSchema = z
  .object({
    name: z.string().min(1),
    colourTopic: z.string().optional(),
    depthTopic: z.string().optional(),
    infoTopic: z.string().optional(),
    /** The camera's optical frame in tf. Default `<name>_optical_frame`. */
    frameId: z.string().optional(),
  })
  .strict();

export const rosEnvConfigSchema = z
  .object({
    url: z.string().regex(/^wss?:\/\//, 'must be a ws:// or wss:// URL'),
    token: z.string().min(1).optional(),
    cameras: z.array(z.union([z.string().min(1), cameraSchema])).min(1).default([...SERVED_CAMERA_NAMES]),
    /** How images travel: cbor (binary, smallest), none (JSON + base64) or png. CameraInfo is always none. */
    imageCompression: z.enum(['cbor', 'none', 'png']).default('cbor'),
    worldFrame: z.string().default(WORLD_FRAME),
    extrinsics: z
      .union([
        z.object({ source: z.literal('tf'), tfTopic: z.string().default(SIM_TOPICS.tf), tfStaticTopic: z.string().default(SIM_TOPICS.tfStatic) }).strict(),
        z.object({ source: z.literal('calibration'), cameras: z.record(z.string(), calibrationEntry) }).strict(),
      ])
      .default({ source: 'tf', tfTopic: SIM_TOPICS.tf, tfStaticTopic: SIM_TOPICS.tfStatic }),
    gripper: z
      .union([
        /** peract_msgs/GripperState: pose, open flag and finger widths in one message. */
        z.object({ source: z.literal('state'), topic: z.string().default(SIM_TOPICS.gripperState) }).strict(),
        /** The tool frame from tf plus the finger joints from a JointState topic. */
        z
          .object({
            source: z.literal('tf'),
            frame: z.string().default(TOOL_FRAME),
            tfTopic: z.string().default(SIM_TOPICS.tf),
            jointStatesTopic: z.string().default(SIM_TOPICS.jointStates),
            fingerJoints: z.tuple([z.string(), z.string()]).default(['panda_finger_joint1', 'panda_finger_joint2']),
            /** Open when the fingers together are wider than this. Default 0.07 m (Panda: 0.08 max). */
            openAboveMetres: z.number().positive().default(0.07),
          })
          .strict(),
      ])
      .default({ source: 'state', topic: SIM_TOPICS.gripperState }),
    /** Arm joint positions for the observation; null to skip. */
    jointStates: z
      .object({ topic: z.string().default(SIM_TOPICS.jointStates), names: z.array(z.string()).default(PANDA_JOINT_NAMES.slice(0, 7)) })
      .strict()
      .nullable()
      .default({ topic: SIM_TOPICS.jointStates, names: PANDA_JOINT_NAMES.slice(0, 7) }),
    command: z
      .union([
        /** A service taking the target pose, gripper and collision flags and answering when done (peract_msgs/Execute). */
        z.object({ mode: z.literal('service'), service: z.string().default(SIM_SERVICES.execute), type: z.string().default('peract_msgs/Execute') }).strict(),
        /** Fire-and-forget topics, as many arm drivers take them; the step waits `settleMs` afterwards. */
        z
          .object({
            mode: z.literal('topics'),
            poseTopic: z.string(),
            gripperTopic: z.string(),
            ignoreCollisionsTopic: z.string().optional(),
            settleMs: z.number().nonnegative().default(3000),
          })
          .strict(),
      ])
      .default({ mode: 'service', service: SIM_SERVICES.execute, type: 'peract_msgs/Execute' }),
    /** peract_msgs/Reset service; null when the robot has none (reset then just observes). */
    resetService: z.string().nullable().default(SIM_SERVICES.reset),
    /** std_srvs/Trigger answering whether the task is done; null when there is none. */
    successService: z.string().nullable().default(SIM_SERVICES.success),
    /** std_msgs/String with the goal text; null when there is none. */
    goalTopic: z.string().nullable().default(SIM_TOPICS.goal),
    tasks: z.array(z.string()).optional(),
    /** Camera frames within this many ms of each other (header stamps) form one observation. */
    syncToleranceMs: z.number().nonnegative().default(50),
    /** A topic silent this long fails the observation with an error naming it. */
    topicTimeoutMs: z.number().positive().default(5000),
    connectTimeoutMs: z.number().positive().default(5000),
    /** Each service call (reset, execute) may take this long. */
    serviceTimeoutMs: z.number().positive().default(120_000),
    /** Reconnect delay after a drop, doubling up to 10x. */
    reconnectDelayMs: z.number().positive().default(500),
    /** `peract record` only: how demonstrations are cut and stored (docs/recording.md). */
    recording: z
      .object({
        executedTopic: z.string().nullable().optional(),
        ignoreCollisions: z.boolean().optional(),
        imageEvery: z.number().int().min(1).optional(),
        maxEpisodeSeconds: z.number().positive().optional(),
        keyframes: z
          .object({
            restSeconds: z.number().positive().optional(),
            restRadiusMetres: z.number().positive().optional(),
            restAngleDeg: z.number().positive().optional(),
            minTravelMetres: z.number().nonnegative().optional(),
            minTurnDeg: z.number().nonnegative().optional(),
            gripperHoldSeconds: z.number().nonnegative().optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type RosEnvConfigInput = z.input<typeof rosEnvConfigSchema>;
export type RosEnvConfig = z.output<typeof rosEnvConfigSchema>;

export interface CameraConfig {
  name: string;
  colourTopic: string;
  depthTopic: string;
  infoTopic: string;
  frameId: string;
}

/** Checks a configuration (an object, as from a file plus flags) and fills in defaults. */
export function parseRosEnvConfig(input: unknown, source = 'config'): RosEnvConfig {
  const r = rosEnvConfigSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw invalidArgument(`${source}.${issue.path.join('.')}`, issue.message);
  }
  return r.data;
}

/** Reads a JSON configuration file; `overrides` (from flags) replace its top-level fields. */
export async function loadRosEnvConfig(path: string, overrides: Partial<RosEnvConfigInput> = {}): Promise<RosEnvConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new PeractError('NOT_FOUND', `cannot read RosEnv configuration ${path}: ${(err as Error).message}`, { field: 'config', cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PeractError('CORRUPT_FILE', `${path} is not valid JSON: ${(err as Error).message}`, { field: 'config', cause: err });
  }
  return parseRosEnvConfig({ ...(json as object), ...stripUndefined(overrides) }, path);
}

function stripUndefined(o: object): object {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

export function cameraConfigs(config: RosEnvConfig): CameraConfig[] {
  return config.cameras.map((c) => {
    const name = typeof c === 'string' ? c : c.name;
    const o: Partial<z.output<typeof cameraSchema>> = typeof c === 'string' ? {} : c;
    return {
      name,
      colourTopic: o.colourTopic ?? SIM_TOPICS.colour(name),
      depthTopic: o.depthTopic ?? SIM_TOPICS.depth(name),
      infoTopic: o.infoTopic ?? SIM_TOPICS.cameraInfo(name),
      frameId: o.frameId ?? SIM_TOPICS.opticalFrame(name),
    };
  });
}

/** ROS camera_link (x forward, y left, z up) -> optical (z forward, x right, y down). */
const LINK_FROM_OPTICAL = new Quaternion(-0.5, 0.5, -0.5, 0.5);

/** A calibration entry as the pose of the camera's optical frame in its parent. */
export function calibratedPose(entry: z.output<typeof calibrationEntry>): { parent: 'world' | 'gripper'; pose: Pose } {
  const position = entry.positionMetres ?? [entry.translation!.x, entry.translation!.y, entry.translation!.z];
  const q = entry.quaternion ?? [entry.rotation!.x, entry.rotation!.y, entry.rotation!.z, entry.rotation!.w];
  let rotation = new Quaternion(...canonicalQuaternion(q, 'calibration.quaternion'));
  if (entry.frame === 'link') rotation = rotation.multiply(LINK_FROM_OPTICAL);
  return { parent: entry.parent, pose: { positionMetres: [...position], quaternion: canonicalQuaternion([rotation.x, rotation.y, rotation.z, rotation.w]) } };
}
