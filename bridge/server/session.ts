// Over 400 lines: one class holds the whole rosbridge protocol state of a client (auth, budgets,
// subscriptions, fragments, routed service calls); split further, each part would need it all.
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { PeractError } from '../../core/index.js';
import type { ServiceRecord, TopicRecord } from './graph.js';
import { canonicalTypeName, checkMessage, checkServicePart, isKnownMessageType, isKnownServiceType, MessageMismatch } from './message-types.js';
import { asOp, describeValue, errorText, idOf, nameField, optionalNumber, optionalString, ProtocolError, type RawOp } from './protocol.js';
import { Subscription, type EncodedMessage, type QueueBudget, type SubscriptionOptions } from './subscription.js';
import { decodeFrame, decodeJsonText, fragmentJson, toJson, type Compression, type WireFrame } from './wire.js';

/**
 * One WebSocket client of a BridgeServer: its authentication, its input and output budgets,
 * and every rosbridge op it sends. Rules (the server's doc comment has the whole list):
 * - every rejected frame is answered with a `status` op naming the problem, and the client
 *   keeps its connection, unless it has not authenticated: then any bad frame closes it (4001);
 * - input is paced: past `inboundMessagesPerSecond` / `inboundBytesPerSecond` the socket is
 *   paused until the budget refills (TCP holds the rest), so one flooding client cannot take
 *   the event loop from the others;
 * - output never waits: topic messages are dropped past `maxBufferedBytes` of unsent data (and
 *   past `maxQueuedBytes` of queued messages); a client past twice the first, or over it without
 *   reading anything for `maxStallMs`, is disconnected.
 */

export interface SessionLimits {
  maxMessageBytes: number;
  /** Unsent bytes past which topic messages to this client are dropped; 2x closes the client. */
  maxBufferedBytes: number;
  /** A client over `maxBufferedBytes` that takes nothing from its backlog for this long is closed. */
  maxStallMs: number;
  /** Bytes held in this client's subscription queues (queue_length > 0). */
  maxQueuedBytes: number;
  /** Bytes an unauthenticated client may send in all before it is closed. */
  maxPreAuthBytes: number;
  /** Largest single frame accepted before authentication. */
  maxPreAuthFrameBytes: number;
  maxNestingDepth: number;
  authTimeoutMs: number;
  inboundMessagesPerSecond: number;
  inboundBytesPerSecond: number;
}

/** What a session needs from its server (BridgeServer implements it). */
export interface SessionHost {
  readonly limits: SessionLimits;
  readonly requiresToken: boolean;
  checkToken(mac: unknown): boolean;
  /** The client authenticated; false when it must go (the client limit is reached). */
  admit(session: Session): boolean;
  topic(name: string): TopicRecord | undefined;
  createClientTopic(name: string, type: string, id: string | undefined): TopicRecord;
  collect(record: TopicRecord): void;
  service(name: string): ServiceRecord | undefined;
  addClientService(name: string, type: string, provider: Session, id: string | undefined): void;
  removeClientService(name: string, provider: Session): boolean;
  deliver(record: TopicRecord, message: Record<string, unknown>, from?: Session): void;
  latchedMessage(record: TopicRecord): EncodedMessage | null;
  noteRejected(): void;
  log(line: string): void;
}

export const MAX_CLIENT_SERVICES = 64;
const MAX_SUBSCRIPTIONS_PER_CLIENT = 128;
const MAX_FRAGMENT_SETS = 8;
const MAX_QUEUE_LENGTH = 1000;
/** Smaller fragments only multiply frames (1 byte each turned one image into 300k frames). */
export const MIN_FRAGMENT_SIZE = 1024;
/** Service calls one client may have waiting for an answer. */
export const MAX_CALLS_IN_FLIGHT = 16;
const CLIENT_SERVICE_TIMEOUT_MS = 30_000;
/** A refused client that does not finish the close handshake is cut off after this. */
const CLOSE_GRACE_MS = 1000;

interface FragmentSet {
  total: number;
  parts: (string | undefined)[];
  received: number;
  bytes: number;
}

interface RoutedCall {
  caller: Session;
  callerId: string | undefined;
  service: string;
  type: string;
  timer: NodeJS.Timeout;
}

/** A token bucket: `take` returns how long to wait before the balance is positive again. */
class Pacer {
  private tokens: number;
  private lastMs = performance.now();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  take(amount: number, nowMs: number): number {
    this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.lastMs) * this.perSecond) / 1000);
    this.lastMs = nowMs;
    this.tokens -= amount;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.perSecond) * 1000;
  }
}

export class Session {
  authed: boolean;
  /** Refused or evicted: on its way out, no longer counted as waiting to authenticate. */
  leaving = false;
  /** Topic messages dropped for this client outside its open subscriptions' own counts. */
  private droppedOther = 0;
  /** Times this client's input was paused for exceeding its budget. */
  pauses = 0;
  readonly connectedAtMs = performance.now();
  /** Calls routed to this client's services: our id -> caller. */
  readonly pendingCalls = new Map<string, RoutedCall>();
  nextCallId = 0;
  private readonly subs = new Map<string, Subscription>();
  private readonly advertised = new Set<string>();
  private readonly providedServices = new Set<string>();
  private readonly fragments = new Map<string, FragmentSet>();
  private readonly queueBudget: QueueBudget;
  private readonly messagePacer: Pacer;
  private readonly bytePacer: Pacer;
  private callsInFlight = 0;
  private nextFragmentId = 0;
  private preAuthBytes = 0;
  private authTimer: NodeJS.Timeout | null = null;
  private resumeTimer: NodeJS.Timeout | null = null;
  /** Frames that arrived while input was paused (the rest of a TCP read): handled on resume, in order. */
  private backlog: { data: Buffer | ArrayBuffer | Buffer[]; isBinary: boolean }[] = [];
  /** Since when this client has been over its send budget without taking any of it (null: it is not). */
  private stall: { sinceMs: number; bufferedBytes: number } | null = null;
  private disposed = false;
  private readonly countPreAuth = (chunk: Buffer) => {
    if (this.authed || this.leaving) return;
    this.preAuthBytes += chunk.length;
    if (this.preAuthBytes > this.host.limits.maxPreAuthBytes) this.refuse(`authenticate first: more than ${this.host.limits.maxPreAuthBytes} bytes sent without {"op": "auth"}`);
  };

  constructor(
    private readonly host: SessionHost,
    private readonly ws: WebSocket,
    readonly id: number,
    readonly address: string,
    private readonly socket: Socket,
  ) {
    const limits = host.limits;
    this.queueBudget = { usedBytes: 0, limitBytes: limits.maxQueuedBytes };
    this.messagePacer = new Pacer(limits.inboundMessagesPerSecond, 2 * limits.inboundMessagesPerSecond);
    this.bytePacer = new Pacer(limits.inboundBytesPerSecond, Math.max(2 * limits.inboundBytesPerSecond, 2 * limits.maxMessageBytes));
    this.authed = !host.requiresToken;
    if (!this.authed) {
      this.authTimer = setTimeout(() => this.refuse(`authentication timed out: no {"op": "auth"} within ${limits.authTimeoutMs} ms`), limits.authTimeoutMs);
      // Counts bytes before ws assembles them into frames: a 32 MiB frame is cut off early.
      socket.on('data', this.countPreAuth);
    }
    ws.on('message', (data, isBinary) => this.receive(data as Buffer | ArrayBuffer | Buffer[], isBinary));
    ws.on('error', () => {
      // 'close' follows; ws reports over-size frames (1009) and protocol errors here.
    });
  }

  get subscriptionCount(): number {
    return this.subs.size;
  }

  get fragmentSets(): number {
    return this.fragments.size;
  }

  get queuedBytes(): number {
    return this.queueBudget.usedBytes;
  }

  get bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }

  /** Topic messages not sent to this client (slow reader, throttling, queue limits). */
  get droppedMessages(): number {
    let n = this.droppedOther;
    for (const sub of this.subs.values()) n += sub.dropped;
    return n;
  }

  /** Sends a frame unless this client is too far behind; `droppable` frames are dropped then. */
  sendFrame(frame: WireFrame, droppable: boolean): boolean {
    if (this.disposed || this.ws.readyState !== this.ws.OPEN) return false;
    const buffered = this.ws.bufferedAmount;
    const limit = this.host.limits.maxBufferedBytes;
    if (buffered > 2 * limit) {
      // Not reading: keeping it would only grow memory.
      this.cutOff(`${buffered} bytes unsent`);
      return false;
    }
    if (buffered <= limit) this.stall = null;
    else {
      const now = performance.now();
      // Progress is the backlog shrinking; nothing droppable is added while over the limit.
      if (!this.stall || buffered < this.stall.bufferedBytes) this.stall = { sinceMs: now, bufferedBytes: buffered };
      else if (now - this.stall.sinceMs > this.host.limits.maxStallMs) {
        this.cutOff(`${buffered} bytes unsent and none taken for ${Math.round(now - this.stall.sinceMs)} ms`);
        return false;
      }
    }
    if (droppable && buffered > limit) {
      this.droppedOther++;
      return false;
    }
    this.ws.send(frame);
    return true;
  }

  /** Sends a control op (status, service response): never dropped while the client is alive. */
  sendOp(op: Record<string, unknown>): void {
    this.sendFrame(toJson(op), false);
  }

  status(level: 'error' | 'warning' | 'info', msg: string, id?: string): void {
    this.sendOp({ op: 'status', level, msg, ...(id !== undefined ? { id } : {}) });
  }

  /** Answers the caller of a service. */
  serviceResult(id: string | undefined, service: string, ok: boolean, values: Record<string, unknown> | string): void {
    this.sendOp({ op: 'service_response', service, result: ok, values, ...(id !== undefined ? { id } : {}) });
  }

  terminate(): void {
    this.ws.terminate();
  }

  private cutOff(why: string): void {
    this.host.log(`client ${this.id} (${this.address}) disconnected: ${why}`);
    this.leaving = true;
    this.ws.terminate();
  }

  /** Closes the connection with a reason (4001 for auth failures, 1013 for capacity). */
  refuse(reason: string, code = 4001): void {
    if (this.leaving) return;
    this.leaving = true;
    this.host.noteRejected();
    this.status('error', reason);
    this.ws.close(code, reason.slice(0, 120));
    setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.leaving = true;
    this.socket.off('data', this.countPreAuth);
    if (this.authTimer) clearTimeout(this.authTimer);
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.backlog = [];
    for (const [topic, sub] of this.subs) {
      sub.close();
      this.droppedOther += sub.dropped;
      const record = this.host.topic(topic);
      if (record) {
        record.subscribers.delete(sub);
        this.host.collect(record);
      }
    }
    this.subs.clear();
    for (const topic of this.advertised) {
      const record = this.host.topic(topic);
      if (record) {
        record.publishers.delete(this);
        this.host.collect(record);
      }
    }
    for (const name of this.providedServices) this.host.removeClientService(name, this);
    for (const [, call] of this.pendingCalls) {
      clearTimeout(call.timer);
      call.caller.callEnded();
      call.caller.serviceResult(call.callerId, call.service, false, 'the client providing the service disconnected');
    }
    this.pendingCalls.clear();
    this.fragments.clear();
  }

  /** A call this client made has been answered (or given up on). */
  callEnded(): void {
    this.callsInFlight = Math.max(0, this.callsInFlight - 1);
  }

  private reject(err: unknown, fallbackId?: string): void {
    this.host.noteRejected();
    if (err instanceof ProtocolError) this.status('error', err.message, err.id ?? fallbackId);
    // PeractError messages start with the offending field already.
    else if (err instanceof PeractError) this.status('error', err.message, fallbackId);
    else this.status('error', `internal error: ${errorText(err)}`, fallbackId);
  }

  /** Charges one frame to the input budget; past it, input pauses until the budget refills. */
  private pace(bytes: number): void {
    const now = performance.now();
    const waitMs = Math.max(this.messagePacer.take(1, now), this.bytePacer.take(bytes, now));
    if (waitMs <= 0 || this.resumeTimer || this.disposed) return;
    this.pauses++;
    this.ws.pause();
    this.resumeTimer = setTimeout(() => this.resumeInput(), Math.ceil(waitMs));
  }

  private resumeInput(): void {
    this.resumeTimer = null;
    // Frames ws had already read when input paused go first, paced like any other.
    while (this.backlog.length > 0 && !this.resumeTimer && !this.leaving) {
      const next = this.backlog.shift() as { data: Buffer | ArrayBuffer | Buffer[]; isBinary: boolean };
      this.process(next.data, next.isBinary);
    }
    if (!this.resumeTimer && !this.disposed) this.ws.resume();
  }

  private receive(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    if (this.leaving) return;
    // Paused: ws still delivers the rest of what it had read (one TCP read, or a frame in progress).
    if (this.resumeTimer) this.backlog.push({ data, isBinary });
    else this.process(data, isBinary);
  }

  private process(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
    this.pace(size);
    const limits = this.host.limits;
    if (!this.authed && size > limits.maxPreAuthFrameBytes) {
      this.refuse(`authenticate first: a first message of ${size} bytes is not {"op": "auth", "mac": TOKEN}`);
      return;
    }
    if (size > limits.maxMessageBytes) {
      this.reject(new ProtocolError(`message of ${size} bytes exceeds the limit of ${limits.maxMessageBytes} bytes`));
      return;
    }
    let value: unknown;
    try {
      value = decodeFrame(data, isBinary, limits.maxNestingDepth);
    } catch (err) {
      if (!this.authed) this.refuse(`authenticate first: ${errorText(err)}`);
      else this.reject(new ProtocolError(errorText(err)));
      return;
    }
    this.handle(value);
  }

  private handle(value: unknown): void {
    let op: RawOp;
    try {
      op = asOp(value);
    } catch (err) {
      if (!this.authed) return this.refuse('authenticate first: send {"op": "auth", "mac": TOKEN}');
      return this.reject(err);
    }
    if (!this.authed) {
      if (op.op !== 'auth') return this.refuse('authenticate first: send {"op": "auth", "mac": TOKEN}');
      if (!this.host.checkToken(op.mac)) return this.refuse('authentication failed: wrong token');
      this.authed = true;
      this.socket.off('data', this.countPreAuth);
      if (this.authTimer) clearTimeout(this.authTimer);
      this.authTimer = null;
      if (!this.host.admit(this)) this.refuse('too many clients', 1013);
      return;
    }
    try {
      this.dispatch(op);
    } catch (err) {
      this.reject(err, idOf(op));
    }
  }

  private dispatch(op: RawOp): void {
    switch (op.op) {
      case 'auth':
        return; // already authenticated (or no token needed): nothing to do
      case 'advertise':
        return this.advertise(op);
      case 'unadvertise': {
        const topic = nameField(op, 'topic');
        if (!this.advertised.delete(topic)) throw new ProtocolError(`unadvertise: ${topic} is not advertised by this client`, idOf(op));
        const record = this.host.topic(topic);
        if (record) {
          record.publishers.delete(this);
          this.host.collect(record);
        }
        return;
      }
      case 'publish':
        return this.publish(op);
      case 'subscribe':
        return this.subscribe(op);
      case 'unsubscribe':
        return this.unsubscribe(op);
      case 'call_service':
        return this.callService(op);
      case 'service_response':
        return this.serviceResponse(op);
      case 'advertise_service': {
        const service = nameField(op, 'service');
        const type = typeField(op, 'service');
        if (!this.providedServices.has(service) && this.providedServices.size >= MAX_CLIENT_SERVICES) throw new ProtocolError('advertise_service: too many services', idOf(op));
        this.host.addClientService(service, type, this, idOf(op));
        this.providedServices.add(service);
        return;
      }
      case 'unadvertise_service': {
        const service = nameField(op, 'service');
        if (!this.host.removeClientService(service, this)) throw new ProtocolError(`unadvertise_service: ${service} is not provided by this client`, idOf(op));
        this.providedServices.delete(service);
        return;
      }
      case 'fragment':
        return this.fragment(op);
      case 'set_level':
      case 'status':
        return;
      default:
        throw new ProtocolError(`unknown op "${op.op}"`, idOf(op));
    }
  }

  private advertise(op: RawOp): void {
    const topic = nameField(op, 'topic');
    const type = typeField(op, 'message');
    let record = this.host.topic(topic);
    if (record) {
      if (record.type !== canonicalTypeName(type)) throw new ProtocolError(`advertise: ${topic} has type ${record.type}, not ${type}`, idOf(op));
      if (record.serverOwned && !record.clientsMayPublish) throw new ProtocolError(`advertise: ${topic} is published by the simulator; clients cannot publish on it`, idOf(op));
    } else {
      record = this.host.createClientTopic(topic, type, idOf(op));
    }
    record.publishers.add(this);
    this.advertised.add(topic);
  }

  private publish(op: RawOp): void {
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
    this.host.deliver(record, msg, this);
  }

  private subscribe(op: RawOp): void {
    const topic = nameField(op, 'topic');
    const type = optionalString(op, 'type');
    const id = idOf(op) ?? `subscribe:${topic}`;
    let compression = optionalString(op, 'compression') ?? 'none';
    if (compression === 'cbor-raw') {
      this.status('warning', 'subscribe: cbor-raw needs ROS serialization, which this server does not have; sending cbor', idOf(op));
      compression = 'cbor';
    } else if (compression !== 'none' && compression !== 'png' && compression !== 'cbor') {
      throw new ProtocolError(`subscribe: compression must be none, png or cbor, got ${describeValue(compression)}`, idOf(op));
    }
    let fragmentSize = optionalNumber(op, 'fragment_size', { min: 1, max: 1 << 30, integer: true }) ?? 0;
    if (fragmentSize > 0 && fragmentSize < MIN_FRAGMENT_SIZE) {
      this.status('warning', `subscribe: fragment_size ${fragmentSize} raised to ${MIN_FRAGMENT_SIZE} (the smallest this server sends)`, idOf(op));
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
      sub = new Subscription(topic, options, this.queueBudget, (frame, o) => this.sendTopicFrame(frame, o));
      this.subs.set(topic, sub);
      record.subscribers.add(sub);
    }
    // A client may subscribe under many ids; they all name this one subscription.
    if (sub.ids.size < 64 || sub.ids.has(id)) sub.ids.add(id);
    const latched = this.host.latchedMessage(record);
    if (latched) this.sendTopicFrame(latched.get(options.compression), options);
  }

  private sendTopicFrame(frame: WireFrame, options: SubscriptionOptions): void {
    if (typeof frame === 'string' && options.fragmentSize > 0 && frame.length > options.fragmentSize) {
      // All fragments or none: a partial set would only fill the client's fragment buffer.
      if (this.ws.bufferedAmount + frame.length > this.host.limits.maxBufferedBytes) {
        this.droppedOther++;
        return;
      }
      const id = `fragment:${this.id}:${this.nextFragmentId++}`;
      for (const part of fragmentJson(frame, options.fragmentSize, id)) this.sendFrame(part, false);
      return;
    }
    this.sendFrame(frame, true);
  }

  private unsubscribe(op: RawOp): void {
    const topic = nameField(op, 'topic');
    const sub = this.subs.get(topic);
    if (!sub) throw new ProtocolError(`unsubscribe: not subscribed to ${topic}`, idOf(op));
    const id = idOf(op);
    if (id !== undefined && sub.ids.has(id)) sub.ids.delete(id);
    else if (id !== undefined && sub.ids.size > 1) throw new ProtocolError(`unsubscribe: no subscription ${id} on ${topic}`, id);
    else sub.ids.clear();
    if (sub.ids.size > 0) return;
    sub.close();
    this.droppedOther += sub.dropped;
    this.subs.delete(topic);
    const record = this.host.topic(topic);
    if (record) {
      record.subscribers.delete(sub);
      this.host.collect(record);
    }
  }

  private callService(op: RawOp): void {
    const id = idOf(op);
    let service: string;
    try {
      service = nameField(op, 'service');
    } catch (err) {
      this.serviceResult(id, typeof op.service === 'string' ? op.service.slice(0, 256) : '', false, errorText(err));
      throw err;
    }
    const record = this.host.service(service);
    if (!record) {
      this.serviceResult(id, service, false, `unknown service ${service}`);
      throw new ProtocolError(`call_service: unknown service ${service}`, id);
    }
    if (this.callsInFlight >= MAX_CALLS_IN_FLIGHT) {
      const message = `call_service ${service}: ${MAX_CALLS_IN_FLIGHT} calls of this client are still unanswered; wait for one`;
      this.serviceResult(id, service, false, message);
      throw new ProtocolError(message, id);
    }
    let args: Record<string, unknown>;
    try {
      args = checkServicePart(record.type, 'request', op.args ?? {});
    } catch (err) {
      const message = `call_service ${service}: request does not match ${record.type}: ${errorText(err)}`;
      this.serviceResult(id, service, false, message);
      throw new ProtocolError(message, id);
    }
    this.callsInFlight++;
    if (record.handler) {
      const handler = record.handler;
      // Through a promise, so that a handler that throws synchronously is answered the same way.
      Promise.resolve()
        .then(() => handler(args, { clientId: this.id }))
        .then(
          (values) => {
            let checked: Record<string, unknown>;
            try {
              checked = checkServicePart(record.type, 'response', values);
            } catch (err) {
              this.serviceResult(id, service, false, `internal: bad response: ${errorText(err)}`);
              return;
            }
            this.serviceResult(id, service, true, checked);
          },
          (err: unknown) => this.serviceResult(id, service, false, errorText(err)),
        )
        .finally(() => this.callEnded())
        .catch((err: unknown) => this.host.log(`client ${this.id}: answering ${service} failed: ${errorText(err)}`));
      return;
    }
    const provider = record.provider as Session;
    const callId = `call:${provider.id}:${provider.nextCallId++}`;
    const timer = setTimeout(() => {
      provider.pendingCalls.delete(callId);
      this.callEnded();
      this.serviceResult(id, service, false, `the client providing ${service} did not answer within ${CLIENT_SERVICE_TIMEOUT_MS / 1000} s`);
    }, CLIENT_SERVICE_TIMEOUT_MS);
    provider.pendingCalls.set(callId, { caller: this, callerId: id, service, type: record.type, timer });
    provider.sendOp({ op: 'call_service', id: callId, service, args });
  }

  private serviceResponse(op: RawOp): void {
    const id = idOf(op);
    const call = id === undefined ? undefined : this.pendingCalls.get(id);
    if (!call || id === undefined) throw new ProtocolError('service_response: no pending call with this id', id);
    this.pendingCalls.delete(id);
    clearTimeout(call.timer);
    call.caller.callEnded();
    if (op.result === false) {
      call.caller.serviceResult(call.callerId, call.service, false, typeof op.values === 'string' ? op.values.slice(0, 4096) : 'the service failed');
      return;
    }
    try {
      call.caller.serviceResult(call.callerId, call.service, true, checkServicePart(call.type, 'response', op.values ?? {}));
    } catch (err) {
      call.caller.serviceResult(call.callerId, call.service, false, `the provider's response does not match ${call.type}: ${errorText(err)}`);
      throw new ProtocolError(`service_response: values do not match ${call.type}: ${errorText(err)}`, id);
    }
  }

  private fragment(op: RawOp): void {
    const id = idOf(op);
    if (id === undefined) throw new ProtocolError('fragment: "id" must be a string');
    const num = optionalNumber(op, 'num', { integer: true, max: 1_000_000 });
    const total = optionalNumber(op, 'total', { integer: true, min: 1, max: 1_000_000 });
    if (num === undefined || total === undefined || num >= total) throw new ProtocolError('fragment: needs integer "num" < "total"', id);
    if (typeof op.data !== 'string') throw new ProtocolError('fragment: "data" must be a string', id);
    let set = this.fragments.get(id);
    if (!set) {
      if (this.fragments.size >= MAX_FRAGMENT_SETS) throw new ProtocolError(`fragment: too many unfinished fragment sets (limit ${MAX_FRAGMENT_SETS})`, id);
      set = { total, parts: [], received: 0, bytes: 0 };
      this.fragments.set(id, set);
    }
    if (set.total !== total) {
      this.fragments.delete(id);
      throw new ProtocolError('fragment: "total" changed within one message', id);
    }
    if (set.parts[num] !== undefined) return;
    set.bytes += op.data.length;
    if (set.bytes > this.host.limits.maxMessageBytes) {
      this.fragments.delete(id);
      throw new ProtocolError(`fragment: reassembled message exceeds the limit of ${this.host.limits.maxMessageBytes} bytes`, id);
    }
    set.parts[num] = op.data;
    set.received++;
    if (set.received < set.total) return;
    this.fragments.delete(id);
    let whole: unknown;
    try {
      whole = decodeJsonText(set.parts.join(''), this.host.limits.maxNestingDepth);
    } catch (err) {
      throw new ProtocolError(`fragment: the fragments do not form valid JSON (${errorText(err).slice(0, 80)})`, id);
    }
    if (whole !== null && typeof whole === 'object' && (whole as { op?: unknown }).op === 'fragment') throw new ProtocolError('fragment: a fragment may not contain a fragment', id);
    this.handle(whole);
  }
}

function typeField(op: RawOp, kind: 'message' | 'service'): string {
  const type = op.type;
  if (typeof type !== 'string' || type.length === 0 || type.length > 256) throw new ProtocolError(`${op.op}: "type" must be a non-empty string`, idOf(op));
  const known = kind === 'message' ? isKnownMessageType(type) : isKnownServiceType(type);
  if (!known) throw new ProtocolError(`${op.op}: unknown ${kind} type ${type}`, idOf(op));
  return type;
}
