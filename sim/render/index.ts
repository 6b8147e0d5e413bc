/** The simulator's RGB-D cameras: scene graph, rasterizer, camera rig. */
export { buildSceneGraph, applyPoses, findBody, SCENE_ROOT_NAME } from './scene-graph.js';
export type { SceneGraphOptions } from './scene-graph.js';
export { Rasterizer } from './rasterizer.js';
export type { RenderCamera, RasterizerOptions, RenderOptions, DepthNoiseOptions } from './rasterizer.js';
export {
  CameraRig,
  createDefaultCameraRig,
  renderCameras,
  lookAt,
  intrinsicsFromFov,
  CAMERA_NAMES,
  DEFAULT_CAMERA_EYES,
  DEFAULT_CAMERA_TARGET,
} from './cameras.js';
export type { CameraMount, RigCamera, DefaultRigOptions } from './cameras.js';
