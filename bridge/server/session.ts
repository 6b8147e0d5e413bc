import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { PeractError } from '../../core/index.js';
import { ClientServices } from './client-services.js';
import { ClientTopics } from './client-topics.js';
import { FragmentReassembly } from './fragments.js';
import type { ServiceRecord, TopicRecord } from './graph.js';
import { InputPacing, type InboundFrame } from './input-pacing.js';
import { Outbox } from './outbox.js';
import { asOp, errorText, idOf, ProtocolError, type RawOp } from './protocol.js';
import type { EncodedMessage, QueueBudget } from './subscription.js';
import { decodeFrame, toJson, type WireFrame } from './wire.js';

export { MAX_CALLS_IN_FLIGHT, MAX_CLIENT_SERVICES } from './client-services.js';
export { MIN_FRAGMENT_SIZE } from './client-topics.js';

/**
 * One WebSocket client of a BridgeServer: its authentication, its input and output budgets,
 * and every rosbridge op it sends. Rules (the server's doc comment has the whole list):
 * - every rejected frame is answered with a `status` op naming the problem, and the client
 *   keeps its connection, unless it has not authenticated: then any bad frame closes it (4001);
 * - input is paced (input-pacing.ts): past `inboundMessagesPerSecond` / `inboundBytesPerSecond`
 *   the socket is paused until the budget refills (TCP holds the rest), so one flooding client
 *   cannot take the event loop from the others;
 * - output never waits (outbox.ts): topic messages are dropped past `maxBufferedBytes` of
 *   unsent data (and past `maxQueuedBytes` of queued messages); a client past twice the first,
 *   or over it without reading anything for `maxStallMs`, is disconnected.
 * The ops themselves are handled by the client's topics (client-topics.ts), its service calls
 * (client-services.ts) and its fragment reassembly (fragments.ts).
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

/** A refused client that does not finish the close handshake is cut off after this. */
const CLOSE_GRACE_MS = 1000;

export class Session {
  authed: boolean;
  /** Refused or evicted: on its way out, no longer counted as waiting to authenticate. */
  leaving = false;
  readonly connectedAtMs = performance.now();
  /** This client's service calls and the services it provides. */
  readonly services: ClientServices;
  private readonly topics: ClientTopics;
  private readonly fragments: FragmentReassembly;
  private readonly input: InputPacing;
  private readonly outbox: Outbox;
  private readonly queueBudget: QueueBudget;
  private preAuthBytes = 0;
  private authTimer: NodeJS.Timeout | null = null;
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
    this.input = new InputPacing(ws, limits, (frame) => this.process(frame), () => this.leaving);
    this.outbox = new Outbox(ws, limits, id, (why) => this.cutOff(why));
    this.topics = new ClientTopics(host, this, this.queueBudget, (frame, options) => this.outbox.sendTopicFrame(frame, options));
    this.services = new ClientServices(host, this);
    this.fragments = new FragmentReassembly(limits);
    this.authed = !host.requiresToken;
    if (!this.authed) {
      this.authTimer = setTimeout(() => this.refuse(`authentication timed out: no {"op": "auth"} within ${limits.authTimeoutMs} ms`), limits.authTimeoutMs);
      // Counts bytes before ws assembles them into frames: a 32 MiB frame is cut off early.
      socket.on('data', this.countPreAuth);
    }
    ws.on('message', (data, isBinary) => this.receive({ data: data as Buffer | ArrayBuffer | Buffer[], isBinary }));
    ws.on('error', () => {
      // 'close' follows; ws reports over-size frames (1009) and protocol errors here.
    });
  }

  get subscriptionCount(): number {
    return this.topics.subscriptionCount;
  }

  get fragmentSets(): number {
    return this.fragments.size;
  }

  /** Calls routed to this client's services, waiting for its answer. */
  get pendingCalls(): ReadonlyMap<string, unknown> {
    return this.services.pending;
  }

  get queuedBytes(): number {
    return this.queueBudget.usedBytes;
  }

  get bufferedBytes(): number {
    return this.outbox.bufferedBytes;
  }

  /** Times this client's input was paused for exceeding its budget. */
  get pauses(): number {
    return this.input.pauses;
  }

  /** Topic messages not sent to this client (slow reader, throttling, queue limits). */
  get droppedMessages(): number {
    return this.outbox.dropped + this.topics.droppedMessages;
  }

  /** Sends a frame unless this client is too far behind; `droppable` frames are dropped then. */
  sendFrame(frame: WireFrame, droppable: boolean): boolean {
    return this.outbox.send(frame, droppable);
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
    this.outbox.close();
    this.socket.off('data', this.countPreAuth);
    if (this.authTimer) clearTimeout(this.authTimer);
    this.input.stop();
    this.topics.close();
    this.services.close();
    this.fragments.clear();
  }

  private reject(err: unknown, fallbackId?: string): void {
    this.host.noteRejected();
    if (err instanceof ProtocolError) this.status('error', err.message, err.id ?? fallbackId);
    // PeractError messages start with the offending field already.
    else if (err instanceof PeractError) this.status('error', err.message, fallbackId);
    else this.status('error', `internal error: ${errorText(err)}`, fallbackId);
  }

  private receive(frame: InboundFrame): void {
    if (this.leaving) return;
    // Paused: ws still delivers the rest of what it had read (one TCP read, or a frame in progress).
    this.input.receive(frame);
  }

  private process({ data, isBinary }: InboundFrame): void {
    const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
    this.input.charge(size);
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
        return this.topics.advertise(op);
      case 'unadvertise':
        return this.topics.unadvertise(op);
      case 'publish':
        return this.topics.publish(op);
      case 'subscribe':
        return this.topics.subscribe(op);
      case 'unsubscribe':
        return this.topics.unsubscribe(op);
      case 'call_service':
        return this.services.call(op);
      case 'service_response':
        return this.services.respond(op);
      case 'advertise_service':
        return this.services.advertise(op);
      case 'unadvertise_service':
        return this.services.unadvertise(op);
      case 'fragment': {
        const whole = this.fragments.add(op);
        if (whole) this.handle(whole.message);
        return;
      }
      case 'set_level':
      case 'status':
        return;
      default:
        throw new ProtocolError(`unknown op "${op.op}"`, idOf(op));
    }
  }
}
