import { Matrix4, Vector3 } from 'three';
import type { Object3D } from 'three';
import { assertFiniteArray, assertFiniteNumber, assertPositiveInteger, checkedMatrix4, invalidArgument, matrixFromPose } from '../../core/index.js';
import type { CameraFrame, CameraIntrinsics, Pose, Vec3 } from '../../core/index.js';
import { Rasterizer } from './rasterizer.js';
import type { RasterizerOptions, RenderCamera } from './rasterizer.js';

/**
 * The simulator's camera rig, placed like RLBench's: three fixed cameras (front,
 * left_shoulder, right_shoulder) looking at the table workspace, and a wrist camera riding on
 * the gripper. Our world frame: robot base at the origin, workspace in front of it along +x,
 * table top at about z = 0.75 m; the fixed cameras aim at about (0.2, 0, 0.8).
 */

/** PerAct's camera order; `renderCameras` returns frames in the rig's order, which defaults to this. */
export const CAMERA_NAMES = ['front', 'left_shoulder', 'right_shoulder', 'wrist'] as const;

export type CameraMount =
  /** A camera fixed in the world. */
  | { kind: 'fixed'; worldFromCamera: number[] }
  /** A camera riding on the gripper: world-from-camera = world-from-gripper * gripper-from-camera. */
  | { kind: 'wrist'; gripperFromCamera: number[] };

export interface RigCamera {
  name: string;
  width: number;
  height: number;
  intrinsics: CameraIntrinsics;
  nearMetres: number;
  farMetres: number;
  mount: CameraMount;
}

export interface DefaultRigOptions {
  /** Image size of every camera. Default 128 x 128 (PerAct). */
  width?: number;
  height?: number;
  /** Vertical field of view of the fixed cameras. Default 45 degrees. */
  fixedFovYRad?: number;
  /** Vertical field of view of the wrist camera. Default 60 degrees. */
  wristFovYRad?: number;
  /** Where the fixed cameras look. Default `DEFAULT_CAMERA_TARGET`. */
  targetMetres?: Vec3;
  /** Fixed camera positions. Default `DEFAULT_CAMERA_EYES`. */
  eyesMetres?: Partial<Record<'front' | 'left_shoulder' | 'right_shoulder', Vec3>>;
  /**
   * Wrist camera position in the gripper (tool) frame: +z = approach; the tool point sits 10 mm
   * behind the fingertips (sim/physics/types.ts). Default [0, 0, -0.03]: on the approach axis
   * 4 cm behind the fingertips, just in front of the Panda hand housing (which ends at -0.037).
   */
  wristOffsetMetres?: Vec3;
  /** Default 0.01 m for the wrist, 0.1 m for the fixed cameras. */
  wristNearMetres?: number;
  /** Options of the rig's rasterizer (light, background, depth noise). */
  rasterizer?: RasterizerOptions;
}

/** Fixed camera eyes of the default rig (metres, world frame). */
export const DEFAULT_CAMERA_EYES: Readonly<Record<'front' | 'left_shoulder' | 'right_shoulder', Vec3>> = {
  // The simulator's table top is at z = 0 with the robot base at the origin (sim/tasks/builders.ts).
  // Across the table from the robot, looking back at it and down (RLBench's cam_front).
  front: [1.35, 0, 0.75],
  // Above and beside the robot's shoulders, looking forward and down (cam_over_shoulder_left/right).
  left_shoulder: [-0.1, 0.55, 0.95],
  right_shoulder: [-0.1, -0.55, 0.95],
};

/** Where the default fixed cameras look: the middle of the workspace, just above the table. */
export const DEFAULT_CAMERA_TARGET: Vec3 = [0.45, 0, 0.08];

/**
 * Pinhole intrinsics for a vertical field of view, square pixels, principal point at the image
 * centre under the rasterizer's pixel convention (pixel u sampled at u, so the centre is (W-1)/2).
 */
export function intrinsicsFromFov(width: number, height: number, fovYRad: number): CameraIntrinsics {
  assertPositiveInteger(width, 'width');
  assertPositiveInteger(height, 'height');
  assertFiniteNumber(fovYRad, 'fovYRad');
  if (fovYRad <= 0 || fovYRad >= Math.PI) throw invalidArgument('fovYRad', 'must be in (0, pi)');
  const f = height / 2 / Math.tan(fovYRad / 2);
  return { fx: f, fy: f, cx: (width - 1) / 2, cy: (height - 1) / 2 };
}

/**
 * worldFromCamera (row-major 4x4, ROS optical frame: +z towards the target, +x right, +y down
 * in the image) of a camera at `eye` looking at `target`, with `up` (default world +z)
 * pointing up in the image.
 */
export function lookAt(eye: Vec3, target: Vec3, up: Vec3 = [0, 0, 1]): number[] {
  assertFiniteArray(eye, 3, 'eye');
  assertFiniteArray(target, 3, 'target');
  assertFiniteArray(up, 3, 'up');
  const z = new Vector3(target[0] - eye[0], target[1] - eye[1], target[2] - eye[2]);
  if (z.lengthSq() < 1e-18) throw invalidArgument('target', 'must differ from eye');
  z.normalize();
  // Image right = forward x up; image down = forward x right (both unit once right is).
  const x = new Vector3().crossVectors(z, new Vector3(up[0], up[1], up[2]));
  if (x.lengthSq() < 1e-12) throw invalidArgument('up', 'must not be parallel to the viewing direction');
  x.normalize();
  const y = new Vector3().crossVectors(z, x);
  // Matrix4.set takes row-major arguments; the columns are the camera axes in the world.
  const m = new Matrix4().set(x.x, y.x, z.x, eye[0], x.y, y.y, z.y, eye[1], x.z, y.z, z.z, eye[2], 0, 0, 0, 1);
  return m.transpose().toArray();
}

export class CameraRig {
  readonly cameras: readonly RigCamera[];
  readonly rasterizer: Rasterizer;

  constructor(cameras: RigCamera[], rasterizerOptions: RasterizerOptions = {}) {
    if (!Array.isArray(cameras) || cameras.length === 0) throw invalidArgument('cameras', 'must be a non-empty array');
    const names = new Set<string>();
    cameras.forEach((c, i) => {
      const field = `cameras[${i}]`;
      if (!c || typeof c.name !== 'string' || c.name === '') throw invalidArgument(`${field}.name`, 'must be a non-empty string');
      if (names.has(c.name)) throw invalidArgument(`${field}.name`, `duplicate camera name "${c.name}"`);
      names.add(c.name);
      assertPositiveInteger(c.width, `${field}.width`);
      assertPositiveInteger(c.height, `${field}.height`);
      if (!c.mount || (c.mount.kind !== 'fixed' && c.mount.kind !== 'wrist')) throw invalidArgument(`${field}.mount.kind`, "must be 'fixed' or 'wrist'");
      if (c.mount.kind === 'fixed') checkedMatrix4(c.mount.worldFromCamera, `${field}.mount.worldFromCamera`);
      else checkedMatrix4(c.mount.gripperFromCamera, `${field}.mount.gripperFromCamera`);
    });
    this.cameras = cameras.map((c) => ({ ...c, intrinsics: { ...c.intrinsics }, mount: { ...c.mount } }));
    this.rasterizer = new Rasterizer(rasterizerOptions);
  }

  /** True when some camera rides on the gripper (then `render` needs a gripper pose). */
  get hasWrist(): boolean {
    return this.cameras.some((c) => c.mount.kind === 'wrist');
  }

  /** Each camera's worldFromCamera (row-major) for this gripper pose. */
  cameraPoses(gripperPose?: Pose): number[][] {
    let worldFromGripper: Matrix4 | undefined;
    return this.cameras.map((c) => {
      if (c.mount.kind === 'fixed') return c.mount.worldFromCamera.slice();
      if (!gripperPose) throw invalidArgument('gripperPose', `required: camera "${c.name}" is mounted on the wrist`);
      worldFromGripper ??= new Matrix4().fromArray(matrixFromPose(gripperPose)).transpose();
      const gripperFromCamera = new Matrix4().fromArray(c.mount.gripperFromCamera).transpose();
      return new Matrix4().multiplyMatrices(worldFromGripper, gripperFromCamera).transpose().toArray();
    });
  }

  /**
   * Renders every camera over `group` (the scene graph, arm meshes included) in the rig's order.
   * With `out` (frames from an earlier call) the frames and their buffers are reused.
   */
  render(group: Object3D, gripperPose?: Pose, out?: CameraFrame[]): CameraFrame[] {
    const poses = this.cameraPoses(gripperPose);
    group.updateMatrixWorld();
    return this.cameras.map((c, i) => {
      const camera: RenderCamera = {
        name: c.name,
        width: c.width,
        height: c.height,
        intrinsics: c.intrinsics,
        worldFromCamera: poses[i],
        nearMetres: c.nearMetres,
        farMetres: c.farMetres,
      };
      return this.rasterizer.render(group, camera, out?.[i], { updateMatrixWorld: false });
    });
  }
}

/** The default RLBench-like rig: front, left_shoulder, right_shoulder, wrist. */
export function createDefaultCameraRig(options: DefaultRigOptions = {}): CameraRig {
  const width = options.width ?? 128;
  const height = options.height ?? 128;
  assertPositiveInteger(width, 'options.width');
  assertPositiveInteger(height, 'options.height');
  const target = options.targetMetres ?? DEFAULT_CAMERA_TARGET;
  assertFiniteArray(target, 3, 'options.targetMetres');
  const offset = options.wristOffsetMetres ?? [0, 0, -0.03];
  assertFiniteArray(offset, 3, 'options.wristOffsetMetres');
  const fixedK = intrinsicsFromFov(width, height, options.fixedFovYRad ?? (45 * Math.PI) / 180);
  const wristK = intrinsicsFromFov(width, height, options.wristFovYRad ?? (60 * Math.PI) / 180);
  const fixed = (name: 'front' | 'left_shoulder' | 'right_shoulder'): RigCamera => ({
    name,
    width,
    height,
    intrinsics: fixedK,
    nearMetres: 0.1,
    farMetres: 10,
    mount: { kind: 'fixed', worldFromCamera: lookAt(options.eyesMetres?.[name] ?? DEFAULT_CAMERA_EYES[name], target) },
  });
  const wrist: RigCamera = {
    name: 'wrist',
    width,
    height,
    intrinsics: wristK,
    nearMetres: options.wristNearMetres ?? 0.01,
    farMetres: 10,
    // Camera axes = gripper axes: optical +z along the approach axis.
    mount: { kind: 'wrist', gripperFromCamera: [1, 0, 0, offset[0], 0, 1, 0, offset[1], 0, 0, 1, offset[2], 0, 0, 0, 1] },
  };
  return new CameraRig([fixed('front'), fixed('left_shoulder'), fixed('right_shoulder'), wrist], options.rasterizer);
}

/** Renders `rig` over `group`; frames in the rig's order (front, left_shoulder, right_shoulder, wrist by default). */
export function renderCameras(group: Object3D, rig: CameraRig, gripperPose?: Pose, out?: CameraFrame[]): CameraFrame[] {
  if (!(rig instanceof CameraRig)) throw invalidArgument('rig', 'must be a CameraRig (see createDefaultCameraRig)');
  return rig.render(group, gripperPose, out);
}
