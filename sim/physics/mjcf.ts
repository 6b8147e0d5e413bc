import { canonicalQuaternion, quatToWxyz, type Pose } from '../../core/index.js';
import type { BodySpec, GeomSpec, SceneSpec, Shape } from '../scene.js';
import { gripperMjcf, MJ_HAND } from './gripper.js';
import type { SceneTree } from './validate-scene.js';

/** Density for bodies without `massKg` (water; a 4 cm cube weighs 64 g). */
const DEFAULT_DENSITY_KG_PER_M3 = 1000;
const CONTACT_TIME_CONST_SEC = 0.005;

export interface MjcfModel {
  xml: string;
  /** MJCF body name of each scene body. */
  mjBodyNames: string[];
  /** Scene indices of graspable bodies, in the order of their weld equalities. */
  graspableIndices: number[];
  /** MJCF name of the weld that attaches scene body i to the hand. */
  weldNames: string[];
}

/** Shortest text that parses back to the same double, so the model gets exactly the spec's numbers. */
const fmt = (n: number): string => (Object.is(n, -0) ? '0' : String(n));

const mjBodyName = (i: number): string => `s${i}`;

/**
 * Writes the MJCF model of a validated scene plus the gripper. Scene bodies are named `s<i>`
 * in MJCF, so arbitrary scene names never need escaping or clash with the gripper's.
 */
export function sceneToMjcf(scene: SceneSpec, tree: SceneTree, timestepSec: number): MjcfModel {
  const gripper = gripperMjcf(fmt);
  const lines: string[] = [];
  const emit = (i: number, depth: number): void => {
    const body = scene.bodies[i];
    const pad = '  '.repeat(depth);
    lines.push(`${pad}<body name="${mjBodyName(i)}" ${poseAttributes(body.pose)}>`);
    if (body.motion === 'free') lines.push(`${pad}  <freejoint/>`);
    if (body.motion === 'jointed' && body.joint) {
      const j = body.joint;
      lines.push(
        `${pad}  <joint type="${j.type === 'prismatic' ? 'slide' : 'hinge'}" axis="${j.axis.map(fmt).join(' ')}"` +
          ` range="${fmt(j.range[0])} ${fmt(j.range[1])}" limited="true" stiffness="${fmt(j.stiffness ?? 0)}"` +
          ` springref="0" damping="${fmt(j.damping ?? 0)}"/>`,
      );
    }
    const masses = geomMasses(body);
    body.geoms.forEach((geom, g) => lines.push(`${pad}  ${geomElement(geom, masses[g])}`));
    for (const child of tree.children[i]) emit(child, depth + 1);
    lines.push(`${pad}</body>`);
  };
  for (const root of tree.roots) emit(root, 1);

  const graspableIndices = scene.bodies.flatMap((b, i) => (b.graspable ? [i] : []));
  const weldNames = scene.bodies.map((_, i) => `grasp_${mjBodyName(i)}`);
  // solref 0.01 s: stiffer than the contact default so a carried object lags the hand by < 1 mm.
  const welds = graspableIndices
    .map((i) => `  <weld name="${weldNames[i]}" body1="${MJ_HAND}" body2="${mjBodyName(i)}" active="false" solref="0.01 1"/>\n`)
    .join('');

  const xml =
    `<mujoco model="peract-scene">\n` +
    `<compiler angle="radian" autolimits="true"/>\n` +
    // implicitfast integrates joint damping implicitly, which keeps the stiff finger servos stable.
    `<option timestep="${fmt(timestepSec)}" gravity="0 0 -9.81" integrator="implicitfast"/>\n` +
    // MuJoCo's default contact time constant (20 ms) lets a 30 N pinch sink 3 mm into a 100 g
    // block and a finger sink 2 mm into a light button; 5 ms (>= 2 steps) cuts that by ~16x.
    `<default><geom solref="${fmt(Math.max(CONTACT_TIME_CONST_SEC, 2 * timestepSec))} 1"/></default>\n` +
    `<worldbody>\n${lines.join('\n')}\n${gripper.bodies}</worldbody>\n` +
    `<contact>\n${gripper.contacts}${jointExclusions(scene, tree)}</contact>\n` +
    `<actuator>\n${gripper.actuators}</actuator>\n` +
    `<equality>\n${gripper.equalities}${welds}</equality>\n` +
    `</mujoco>\n`;
  return { xml, mjBodyNames: scene.bodies.map((_, i) => mjBodyName(i)), graspableIndices, weldNames };
}

/**
 * A jointed body never collides with the rigid group it is jointed to (a drawer inside its cabinet,
 * a button sunk into its base): joint ranges, not contacts, bound that motion. MuJoCo filters
 * parent-child contacts itself except when the parent is welded to the world, which is the usual
 * case here, so the pairs are listed explicitly. A rigid group is a body plus everything 'fixed'
 * under it; each top-level fixed body is its own group.
 */
function jointExclusions(scene: SceneSpec, tree: SceneTree): string {
  const groupRoot = scene.bodies.map((_, i) => {
    let b = i;
    while (scene.bodies[b].motion === 'fixed' && tree.parentIndex[b] !== -1) b = tree.parentIndex[b];
    return b;
  });
  const members = (root: number): number[] => groupRoot.flatMap((r, i) => (r === root ? [i] : []));
  const out: string[] = [];
  scene.bodies.forEach((body, j) => {
    const parent = tree.parentIndex[j];
    if (body.motion !== 'jointed' || parent === -1) return;
    for (const a of members(j)) {
      for (const b of members(groupRoot[parent])) out.push(`  <exclude body1="${mjBodyName(a)}" body2="${mjBodyName(b)}"/>\n`);
    }
  });
  return out.join('');
}

function poseAttributes(pose: Pose): string {
  const q = quatToWxyz(canonicalQuaternion(pose.quaternion));
  return `pos="${pose.positionMetres.map(fmt).join(' ')}" quat="${q.map(fmt).join(' ')}"`;
}

function geomElement(geom: GeomSpec, massKg: number): string {
  const shape = geom.shape;
  const size =
    shape.kind === 'box'
      ? shape.halfExtentsMetres.map(fmt).join(' ')
      : shape.kind === 'sphere'
        ? fmt(shape.radiusMetres)
        : `${fmt(shape.radiusMetres)} ${fmt(shape.halfHeightMetres)}`;
  const parts = [`<geom type="${shape.kind}" size="${size}"`];
  if (geom.localPose) parts.push(poseAttributes(geom.localPose));
  parts.push(`mass="${fmt(massKg)}"`);
  if (geom.collides === false) parts.push('contype="0" conaffinity="0"');
  if (geom.friction !== undefined) parts.push(`friction="${fmt(geom.friction)} 0.005 0.0001"`);
  parts.push(`rgba="${geom.colour.map(fmt).join(' ')} 1"`);
  return `${parts.join(' ')}/>`;
}

function volume(shape: Shape): number {
  switch (shape.kind) {
    case 'box':
      return 8 * shape.halfExtentsMetres[0] * shape.halfExtentsMetres[1] * shape.halfExtentsMetres[2];
    case 'sphere':
      return (4 / 3) * Math.PI * shape.radiusMetres ** 3;
    case 'cylinder':
      return 2 * Math.PI * shape.radiusMetres ** 2 * shape.halfHeightMetres;
  }
}

/**
 * Mass of each geom: `massKg` (or density x volume) spread over the colliding geoms by volume;
 * visual-only geoms weigh nothing unless the body has no other geom.
 */
function geomMasses(body: BodySpec): number[] {
  const colliding = body.geoms.map((g) => g.collides !== false);
  const carriers = colliding.some(Boolean) ? colliding : body.geoms.map(() => true);
  const volumes = body.geoms.map((g, k) => (carriers[k] ? volume(g.shape) : 0));
  const total = volumes.reduce((a, b) => a + b, 0);
  const massKg = body.massKg ?? DEFAULT_DENSITY_KG_PER_M3 * total;
  return volumes.map((v) => (massKg * v) / total);
}
