/** The simulator's RGB-D cameras: scene graph, rasterizer, camera rig. */
export { buildSceneGraph, applyPoses, type SceneGraphOptions } from './scene-graph.js';
export { Rasterizer, type RenderCamera, type RasterizerOptions, type RenderOptions, type DepthNoiseOptions } from './rasterizer.js';
export {
  CameraRig,
  createDefaultCameraRig,
  renderCameras,
  lookAt,
  intrinsicsFromFov,
  CAMERA_NAMES,
  type CameraMount,
  type RigCamera,
  type DefaultRigOptions,
} from './cameras.js';
