import { Matrix4 } from 'three';
import { matrix4FromPose, PeractError, poseFromMatrix4, type Pose } from '../../core/index.js';
import { poseFromMsg, secondsOf } from '../ros/ros-messages.js';

/**
 * The latest transform per child frame from /tf and /tf_static, and lookups that compose the
 * chain from a frame up to a root (`world`). Keeps only the newest transform per frame: the
 * runtime acts on still scenes between keyframes, so interpolation in time buys nothing here.
 */
export class TfBuffer {
  private readonly edges = new Map<string, { parent: string; pose: Pose; stampSec: number; receivedMs: number }>();

  /** Adds the transforms of a tf2_msgs/TFMessage (lenient: ROS 1 or ROS 2 spelling). */
  add(message: unknown, receivedMs = performance.now()): void {
    const transforms = (message as { transforms?: unknown })?.transforms;
    if (!Array.isArray(transforms)) return;
    for (const t of transforms as Record<string, unknown>[]) {
      const child = strip(t?.child_frame_id);
      const head = t?.header as Record<string, unknown> | undefined;
      const parent = strip(head?.frame_id);
      if (!child || !parent || child === parent) continue;
      try {
        this.edges.set(child, { parent, pose: poseFromMsg(t.transform, 'transform'), stampSec: secondsOf(head?.stamp), receivedMs });
      } catch {
        // A malformed transform from some other node: ignore it, as tf2 does.
      }
    }
  }

  has(frame: string): boolean {
    return this.edges.has(strip(frame));
  }

  /** When the newest transform in the chain from `frame` arrived (ms, performance.now clock). */
  receivedMs(frame: string, root: string): number {
    let oldest = Infinity;
    this.walk(frame, root, (e) => (oldest = Math.min(oldest, e.receivedMs)));
    return oldest;
  }

  /** Pose of `frame` in `root` (root_from_frame). Throws NOT_FOUND naming the broken link. */
  lookup(root: string, frame: string): Pose {
    const m = new Matrix4();
    this.walk(frame, root, (e) => m.premultiply(matrix4FromPose(e.pose)));
    return poseFromMatrix4(m);
  }

  private walk(frame: string, root: string, visit: (edge: { pose: Pose; receivedMs: number }) => void): void {
    let current = strip(frame);
    const target = strip(root);
    for (let depth = 0; current !== target; depth++) {
      const e = this.edges.get(current);
      if (!e) throw new PeractError('NOT_FOUND', `no transform from "${current}" towards "${target}" on /tf or /tf_static (needed for "${strip(frame)}")`, { field: 'tf' });
      if (depth > 64) throw new PeractError('INVALID_ARGUMENT', `tf chain from "${strip(frame)}" loops`, { field: 'tf' });
      visit(e);
      current = e.parent;
    }
  }
}

/** tf2 frame ids have no leading slash; ROS 1 tf allowed one. */
function strip(frame: unknown): string {
  return typeof frame === 'string' ? frame.replace(/^\/+/, '') : '';
}
