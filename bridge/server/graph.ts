import type { Session } from './session.js';
import type { EncodedMessage, Subscription } from './subscription.js';
import { toCbor, toJson, toPngOp, type Compression, type WireFrame } from './wire.js';

/**
 * The records a BridgeServer keeps for its ROS graph (topics and services), shared with the
 * per-client sessions that read and change them.
 */

export interface CallContext {
  clientId: number;
}

/** Answers a service call; a rejection (or a throw) becomes `result: false` with its message. */
export type ServiceHandler = (request: Record<string, unknown>, context: CallContext) => Promise<Record<string, unknown>> | Record<string, unknown>;
/** Takes a (checked) client publication; a throw or rejection is answered with a status to the publisher. */
export type TopicHandler = (message: Record<string, unknown>, context: CallContext) => void | Promise<void>;

export interface TopicRecord {
  name: string;
  type: string;
  serverOwned: boolean;
  latched: boolean;
  clientsMayPublish: boolean;
  /** The latched message, encoded once however many clients subscribe. */
  last: EncodedMessage | null;
  subscribers: Set<Subscription>;
  publishers: Set<Session>;
  handlers: TopicHandler[];
}

export interface ServiceRecord {
  name: string;
  type: string;
  handler?: ServiceHandler;
  provider?: Session;
}

/** Encodes a topic message lazily, once per compression, for every subscriber at once. */
export function encodedMessage(topic: string, msg: Record<string, unknown>): EncodedMessage {
  const cache = new Map<Compression, WireFrame>();
  return {
    get(compression: Compression) {
      let e = cache.get(compression);
      if (e === undefined) {
        const op = { op: 'publish', topic, msg };
        if (compression === 'cbor') e = toCbor(op);
        else if (compression === 'png') e = toPngOp((cache.get('none') as string | undefined) ?? toJson(op));
        else e = toJson(op);
        cache.set(compression, e);
      }
      return e;
    },
  };
}
