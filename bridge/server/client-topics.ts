import { canonicalTypeName, checkMessage, isKnownMessageType, MessageMismatch } from './message-types.js';
import { describeValue, idOf, nameField, optionalNumber, optionalString, ProtocolError, typeField, type RawOp } from './protocol.js';
import type { Session, SessionHost } from './session.js';
import { Subscription, type QueueBudget, type SubscriptionOptions } from './subscription.js';
import type { Compression, WireFrame } from './wire.js';

const MAX_SUBSCRIPTIONS_PER_CLIENT = 128;
const MAX_QUEUE_LENGTH = 1000;
/** Smaller fragments only multiply frames (1 byte each turned one image into 300k frames). */
export const MIN_FRAGMENT_SIZE = 1024;

/**
 * One client's side of the topic graph: the ops advertise, unadvertise, publish, subscribe and
 * unsubscribe, the topics it publishes on and its subscriptions (capped in number, with their
 * queues charged to the client's queue budget).
 */
export class ClientTopics {
  /** Topic messages dropped by subscriptions already closed. */
  private droppedOfClosed = 0;
  private readonly subs = new Map<string, Subscription>();
  private readonly advertised = new Set<string>();

  constructor(
    private readonly host: SessionHost,
    /** The client these topics belong to (the publisher the server sees). */
    private readonly owner: Session,
    private readonly queueBudget: QueueBudget,
    /** Sends a topic message to the client. */
    private readonly send: (frame: WireFrame, options: SubscriptionOptions) => void,
  ) {}

  get subscriptionCount(): number {
    return this.subs.size;
  }

  /** Topic messages the subscriptions, open and closed, did not send. */
  get droppedMessages(): number {
    let n = this.droppedOfClosed;
    for (const sub of this.subs.values()) n += sub.dropped;
    return n;
  }

  advertise(op: RawOp): void {
    const topic = nameField(op, 'topic');
    const type = typeField(op, 'message');
    let record = this.host.topic(topic);
    if (record) {
      if (record.type !== canonicalTypeName(type)) throw new ProtocolError(`advertise: ${topic} has type ${record.type}, not ${type}`, idOf(op));
      if (record.serverOwned && !record.clientsMayPublish) throw new ProtocolError(`advertise: ${topic} is published by the simulator; clients cannot publish on it`, idOf(op));
    } else {
      record = this.host.createClientTopic(topic, type, idOf(op));
    }
    record.publishers.add(this.owner);
    this.advertised.add(topic);
  }

  unadvertise(op: RawOp): void {
    const topic = nameField(op, 'topic');
    if (!this.advertised.delete(topic)) throw new ProtocolError(`unadvertise: ${topic} is not advertised by this client`, idOf(op));
    this.leavePublishers(topic);
  }

  publish(op: RawOp): void {
    const topic = nameField(op, 'topic');
    const record = this.host.topic(topic);
    if (!record) throw new ProtocolError(`publish: unknown topic ${topic} (advertise it with a type first)`, idOf(op));
    if (record.serverOwned && !record.clientsMayPublish) throw new ProtocolError(`publish: ${topic} is published by the simulator; clients cannot publish on it`, idOf(op));
    let msg: Record<string, unknown>;
    try {
      msg = checkMessage(record.type, op.msg ?? {});
    } catch (err) {
      if (err instanceof MessageMismatch) throw new ProtocolError(`publish ${topic}: message does not match ${record.type}: ${err.message}`, idOf(op));
      throw err;
    }
    this.host.deliver(record, msg, this.owner);
  }

  subscribe(op: RawOp): void {
    const topic = nameField(op, 'topic');
    const type = optionalString(op, 'type');
    const id = idOf(op) ?? `subscribe:${topic}`;
    let compression = optionalString(op, 'compression') ?? 'none';
    if (compression === 'cbor-raw') {
      this.owner.status('warning', 'subscribe: cbor-raw needs ROS serialization, which this server does not have; sending cbor', idOf(op));
      compression = 'cbor';
    } else if (compression !== 'none' && compression !== 'png' && compression !== 'cbor') {
      throw new ProtocolError(`subscribe: compression must be none, png or cbor, got ${describeValue(compression)}`, idOf(op));
    }
    let fragmentSize = optionalNumber(op, 'fragment_size', { min: 1, max: 1 << 30, integer: true }) ?? 0;
    if (fragmentSize > 0 && fragmentSize < MIN_FRAGMENT_SIZE) {
      this.owner.status('warning', `subscribe: fragment_size ${fragmentSize} raised to ${MIN_FRAGMENT_SIZE} (the smallest this server sends)`, idOf(op));
      fragmentSize = MIN_FRAGMENT_SIZE;
    }
    const options: SubscriptionOptions = {
      compression: compression as Compression,
      throttleRateMs: optionalNumber(op, 'throttle_rate', { max: 3_600_000 }) ?? 0,
      queueLength: optionalNumber(op, 'queue_length', { max: MAX_QUEUE_LENGTH, integer: true }) ?? 0,
      fragmentSize,
    };
    let record = this.host.topic(topic);
    if (record) {
      if (type !== undefined && canonicalTypeName(type) !== record.type) throw new ProtocolError(`subscribe: ${topic} has type ${record.type}, not ${type}`, idOf(op));
    } else {
      if (type === undefined) throw new ProtocolError(`subscribe: unknown topic ${topic} (give its type to wait for a publisher)`, idOf(op));
      if (!isKnownMessageType(type)) throw new ProtocolError(`subscribe: unknown message type ${type}`, idOf(op));
      record = this.host.createClientTopic(topic, type, idOf(op));
    }
    let sub = this.subs.get(topic);
    if (sub) {
      sub.update(options);
    } else {
      if (this.subs.size >= MAX_SUBSCRIPTIONS_PER_CLIENT) throw new ProtocolError(`subscribe: too many subscriptions (limit ${MAX_SUBSCRIPTIONS_PER_CLIENT})`, idOf(op));
      sub = new Subscription(topic, options, this.queueBudget, (frame, o) => this.send(frame, o));
      this.subs.set(topic, sub);
      record.subscribers.add(sub);
    }
    // A client may subscribe under many ids; they all name this one subscription.
    if (sub.ids.size < 64 || sub.ids.has(id)) sub.ids.add(id);
    const latched = this.host.latchedMessage(record);
    if (latched) this.send(latched.get(options.compression), options);
  }

  unsubscribe(op: RawOp): void {
    const topic = nameField(op, 'topic');
    const sub = this.subs.get(topic);
    if (!sub) throw new ProtocolError(`unsubscribe: not subscribed to ${topic}`, idOf(op));
    const id = idOf(op);
    if (id !== undefined && sub.ids.has(id)) sub.ids.delete(id);
    else if (id !== undefined && sub.ids.size > 1) throw new ProtocolError(`unsubscribe: no subscription ${id} on ${topic}`, id);
    else sub.ids.clear();
    if (sub.ids.size > 0) return;
    this.closeSubscription(topic, sub);
    this.subs.delete(topic);
  }

  /** The client is gone: its subscriptions close and it publishes nowhere. */
  close(): void {
    for (const [topic, sub] of this.subs) this.closeSubscription(topic, sub);
    this.subs.clear();
    for (const topic of this.advertised) this.leavePublishers(topic);
  }

  private closeSubscription(topic: string, sub: Subscription): void {
    sub.close();
    this.droppedOfClosed += sub.dropped;
    const record = this.host.topic(topic);
    if (record) {
      record.subscribers.delete(sub);
      this.host.collect(record);
    }
  }

  private leavePublishers(topic: string): void {
    const record = this.host.topic(topic);
    if (record) {
      record.publishers.delete(this.owner);
      this.host.collect(record);
    }
  }
}
