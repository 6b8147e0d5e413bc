/**
 * `npx tsx bench/run.ts render`: the simulator's four RGB-D
 * cameras over a tabletop scene (table + 10 boxes/cylinders/spheres) plus 20 stand-in arm meshes.
 */
import { BoxGeometry, CylinderGeometry, Group, Mesh, MeshLambertMaterial, Object3D } from 'three';
import type { CameraFrame, Pose } from '../core/index.js';
import type { BodySpec, SceneSpec } from '../sim/scene.js';
import { buildSceneGraph, createDefaultCameraRig, renderCameras } from '../sim/render/index.js';
import { timeIt, type Benchmark, type Figure } from './harness.js';

const identity: Pose['quaternion'] = [0, 0, 0, 1];

function tabletop(): SceneSpec {
  const bodies: BodySpec[] = [
    {
      name: 'table', objectId: 1, motion: 'fixed',
      pose: { positionMetres: [0.2, 0, 0.7], quaternion: identity },
      geoms: [{ shape: { kind: 'box', halfExtentsMetres: [0.6, 0.7, 0.05] }, colour: [0.6, 0.5, 0.4] }],
    },
  ];
  for (let i = 0; i < 10; i++) {
    const x = -0.1 + 0.09 * i;
    const y = ((i * 7) % 10) / 10 - 0.45;
    const yaw = i * 0.4;
    const quaternion: Pose['quaternion'] = [0, 0, Math.sin(yaw / 2), Math.cos(yaw / 2)];
    const shape =
      i % 3 === 0
        ? { kind: 'cylinder' as const, radiusMetres: 0.03, halfHeightMetres: 0.05 }
        : i % 3 === 1
          ? { kind: 'box' as const, halfExtentsMetres: [0.03, 0.04, 0.025] as [number, number, number] }
          : { kind: 'sphere' as const, radiusMetres: 0.03 };
    bodies.push({
      name: `object${i}`, objectId: 10 + i, motion: 'free',
      pose: { positionMetres: [x, y, 0.8], quaternion },
      geoms: [{ shape, colour: [(i % 3) / 2, ((i + 1) % 3) / 2, ((i + 2) % 3) / 2] }],
    });
  }
  return { bodies };
}

/** 20 arm-like meshes (links as cylinders, housings as boxes) from the base up and over the table. */
function armMeshes(): Object3D {
  const arm = new Group();
  arm.name = 'arm';
  const material = new MeshLambertMaterial({ color: 0xeeeeee });
  for (let i = 0; i < 20; i++) {
    const s = i / 19;
    const geometry = i % 2 === 0 ? new CylinderGeometry(0.05, 0.05, 0.12, 16, 1) : new BoxGeometry(0.08, 0.08, 0.1);
    const mesh = new Mesh(geometry, material);
    mesh.position.set(0.35 * s, 0.05 * Math.sin(6 * s), 0.75 + 0.5 * Math.sin(Math.PI * s * 0.8));
    mesh.rotation.set(0.3 * i, 0.2 * i, 0);
    mesh.userData.objectId = 100 + i;
    arm.add(mesh);
  }
  return arm;
}

function figure(size: number): () => Promise<Figure> {
  return async () => {
    const group = buildSceneGraph(tabletop());
    group.add(armMeshes());
    const rig = createDefaultCameraRig({ width: size, height: size });
    const gripper: Pose = { positionMetres: [0.35, 0, 1.0], quaternion: [1, 0, 0, 0] };
    let frames: CameraFrame[] = renderCameras(group, rig, gripper);
    let triangles = 0;
    group.traverse((o) => {
      const g = (o as Mesh).isMesh ? (o as Mesh).geometry : undefined;
      if (g) triangles += (g.index ? g.index.count : g.getAttribute('position').count) / 3;
    });
    const covered = frames.reduce((n, f) => n + f.depthMetres.filter((d) => d > 0).length, 0) / (4 * size * size);
    return timeIt(`render/4x${size}x${size}`, () => {
      frames = renderCameras(group, rig, gripper, frames);
    }, { runs: size > 128 ? 20 : 50, warmup: 10, extra: { triangles, coveredPercent: Math.round(covered * 1000) / 10, targetMs: size === 128 ? 5 : undefined } });
  };
}

export const benchmarks: Benchmark[] = [
  { name: 'render/4x128x128', run: async () => [await figure(128)()] },
  { name: 'render/4x256x256', run: async () => [await figure(256)()] },
];
