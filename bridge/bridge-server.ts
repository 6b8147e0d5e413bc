import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { invalidArgument, PeractError } from '../core/index.js';
import { canonicalTypeName, checkMessage, checkServicePart, isKnownMessageType, isKnownServiceType, MessageMismatch } from './message-types.js';
import { asOp, idOf, nameField, optionalNumber, optionalString, ProtocolError, type RawOp } from './protocol.js';
import { Subscription, type EncodedMessage, type SubscriptionOptions } from './subscription.js';
import { decodeFrame, fragmentJson, toCbor, toJson, toPngOp, type Compression } from './wire.js';

/**
 * A rosbridge v2 server without ROS underneath: topics and services live in this process. The
 * simulator (sim-robot.ts) publishes on it and serves services; clients (roslib, the viewer,
 * a real rosbridge client) subscribe, publish and call.
 *
 * Robustness rules (rosbridge_suite only logs; this server answers):
 * - every rejected frame gets a `status` op (level error) naming the problem, and the
 *   connection keeps working;
 * - a frame over `maxMessageBytes` is answered and dropped; one over `maxFrameBytes` (the
 *   WebSocket limit) closes that connection with 1009, since it cannot be skipped unread;
 * - sending never waits for a client: topic messages to a client whose socket buffer holds
 *   more than `maxBufferedBytes` are dropped (counted), and a client whose buffer passes four
 *   times that is disconnected;
 * - client-created topics, subscriptions, services and pending fragments are capped.
 */

export interface BridgeServerOptions {
  /** Default 9090; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  /** When set, a client must send `{op: "auth", mac: TOKEN}` before anything else. */
  token?: string;
  /** Largest accepted message (a frame, or a reassembled set of fragments). Default 8 MiB. */
  maxMessageBytes?: number;
  /** WebSocket frame limit; larger frames close the connection. Default 4 x maxMessageBytes. */
  maxFrameBytes?: number;
  /** Per-client send buffer above which topic messages are dropped. Default 8 MiB. */
  maxBufferedBytes?: number;
  /** Default 32. */
  maxClients?: number;
  /** A client with a token to present must do so within this time. Default 10 s. */
  authTimeoutMs?: number;
  /** Answers plain HTTP requests (the viewer's files); return false to fall through to 404. */
  http?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
  /** Where connection events go. Default: nowhere. */
  log?: (line: string) => void;
}

export interface TopicOptions {
  /** New subscribers get the last message at once (ROS latching, as for /tf_static). */
  latched?: boolean;
  /** Clients may publish here (the server's own input topics). Default false for server topics. */
  clientsMayPublish?: boolean;
}

export interface CallContext {
  clientId: number;
}

export type ServiceHandler = (request: Record<string, unknown>, context: CallContext) => Promise<Record<string, unknown>>;
export type TopicHandler = (message: Record<string, unknown>, context: CallContext) => void;

export interface BridgeStats {
  clients: number;
  topics: number;
  subscriptions: number;
  services: number;
  pendingFragmentSets: number;
  pendingServiceCalls: number;
  /** Topic messages dropped for slow clients or by throttling/queue limits. */
  droppedMessages: number;
  /** Status replies sent for rejected input. */
  rejected: number;
}

interface TopicRecord {
  name: string;
  type: string;
  serverOwned: boolean;
  latched: boolean;
  clientsMayPublish: boolean;
  last: Record<string, unknown> | null;
  subscribers: Set<Subscription>;
  publishers: Set<Session>;
  handlers: TopicHandler[];
}

interface ServiceRecord {
  name: string;
  type: string;
  handler?: ServiceHandler;
  provider?: Session;
}

const MAX_CLIENT_TOPICS = 256;
const MAX_SUBSCRIPTIONS_PER_CLIENT = 128;
const MAX_CLIENT_SERVICES = 64;
const MAX_FRAGMENT_SETS = 8;
const MAX_QUEUE_LENGTH = 1000;
const CLIENT_SERVICE_TIMEOUT_MS = 30_000;

export class BridgeServer {
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly topics = new Map<string, TopicRecord>();
  private readonly services = new Map<string, ServiceRecord>();
  private readonly sessions = new Set<Session>();
  private readonly opts: Required<Omit<BridgeServerOptions, 'token' | 'http' | 'log'>> & Pick<BridgeServerOptions, 'token' | 'http' | 'log'>;
  private nextClientId = 1;
  private closed = false;
  /** Subscriptions and calls of sessions that are gone still count until then. */
  droppedOfClosed = 0;
  rejected = 0;

  private constructor(options: BridgeServerOptions) {
    const maxMessageBytes = options.maxMessageBytes ?? 8 * 1024 * 1024;
    this.opts = {
      port: options.port ?? 9090,
      host: options.host ?? '127.0.0.1',
      token: options.token,
      maxMessageBytes,
      maxFrameBytes: options.maxFrameBytes ?? 4 * maxMessageBytes,
      maxBufferedBytes: options.maxBufferedBytes ?? 8 * 1024 * 1024,
      maxClients: options.maxClients ?? 32,
      authTimeoutMs: options.authTimeoutMs ?? 10_000,
      http: options.http,
      log: options.log,
    };
    for (const key of ['maxMessageBytes', 'maxFrameBytes', 'maxBufferedBytes', 'maxClients', 'authTimeoutMs'] as const) {
      const v = this.opts[key];
      if (!Number.isInteger(v) || v < 1) throw invalidArgument(`options.${key}`, `must be a positive integer, got ${String(v)}`);
    }
    if (!Number.isInteger(this.opts.port) || this.opts.port < 0 || this.opts.port > 65535) throw invalidArgument('options.port', `must be 0-65535, got ${this.opts.port}`);
    if (options.token !== undefined && (typeof options.token !== 'string' || options.token.length === 0)) throw invalidArgument('options.token', 'must be a non-empty string');
    this.http = createServer((req, res) => void this.serveHttp(req, res));
    this.wss = new WebSocketServer({ server: this.http, maxPayload: this.opts.maxFrameBytes });
    this.wss.on('connection', (ws, req) => this.accept(ws, req));
  }

  /** Creates the server and starts listening. */
  static async start(options: BridgeServerOptions = {}): Promise<BridgeServer> {
    const server = new BridgeServer(options);
    await new Promise<void>((resolve, reject) => {
      server.http.once('error', (err) => reject(new PeractError('CONNECTION', `cannot listen on ${server.opts.host}:${server.opts.port}: ${err.message}`, { cause: err })));
      server.http.listen(server.opts.port, server.opts.host, () => resolve());
    });
    return server;
  }

  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  get host(): string {
    return this.opts.host;
  }

  /** ws://host:port */
  get url(): string {
    const h = this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host;
    return `ws://${h}:${this.port}`;
  }

  get requiresToken(): boolean {
    return this.opts.token !== undefined;
  }

  /** Declares a topic the server publishes (or, with clientsMayPublish, listens on). */
  defineTopic(name: string, type: string, options: TopicOptions = {}): void {
    if (!isKnownMessageType(type)) throw invalidArgument('type', `unknown message type ${type}`);
    const existing = this.topics.get(name);
    if (existing && existing.serverOwned) throw invalidArgument('name', `topic ${name} is already defined`);
    const record: TopicRecord = existing ?? { name, type: canonicalTypeName(type), serverOwned: true, latched: false, clientsMayPublish: false, last: null, subscribers: new Set(), publishers: new Set(), handlers: [] };
    if (existing && existing.type !== canonicalTypeName(type)) {
      // A client claimed the name first with another type; the server's definition wins.
      for (const s of existing.subscribers) s.close();
      existing.subscribers.clear();
      existing.publishers.clear();
      record.type = canonicalTypeName(type);
    }
    record.serverOwned = true;
    record.latched = options.latched ?? false;
    record.clientsMayPublish = options.clientsMayPublish ?? false;
    this.topics.set(name, record);
  }

  /** Calls `handler` with every (checked) message clients publish on a server input topic. */
  onMessage(topic: string, handler: TopicHandler): void {
    const record = this.topics.get(topic);
    if (!record || !record.serverOwned || !record.clientsMayPublish) throw invalidArgument('topic', `${topic} is not a server input topic (defineTopic with clientsMayPublish)`);
    record.handlers.push(handler);
  }

  /** Publishes a message on a server topic. The message is trusted (built by this process). */
  publish(topic: string, message: Record<string, unknown>): void {
    const record = this.topics.get(topic);
    if (!record || !record.serverOwned) throw invalidArgument('topic', `${topic} is not a server topic (call defineTopic first)`);
    this.deliver(record, message);
  }

  /** True when some client is subscribed to the topic (publishers skip costly work otherwise). */
  hasSubscribers(topic: string): boolean {
    return (this.topics.get(topic)?.subscribers.size ?? 0) > 0;
  }

  advertiseService(name: string, type: string, handler: ServiceHandler): void {
    if (!isKnownServiceType(type)) throw invalidArgument('type', `unknown service type ${type}`);
    const existing = this.services.get(name);
    if (existing?.handler) throw invalidArgument('name', `service ${name} is already advertised`);
    this.services.set(name, { name, type: canonicalTypeName(type), handler });
  }

  /** Topic names and types, for rosapi-style listing. */
  topicList(): { topics: string[]; types: string[] } {
    const list = [...this.topics.values()].filter((t) => t.serverOwned || t.publishers.size > 0);
    return { topics: list.map((t) => t.name), types: list.map((t) => t.type) };
  }

  stats(): BridgeStats {
    let subscriptions = 0;
    let pendingFragmentSets = 0;
    let pendingServiceCalls = 0;
    let dropped = this.droppedOfClosed;
    for (const s of this.sessions) {
      subscriptions += s.subscriptionCount;
      pendingFragmentSets += s.fragmentSets;
      pendingServiceCalls += s.pendingCalls.size;
      dropped += s.droppedMessages;
    }
    return { clients: this.sessions.size, topics: this.topics.size, subscriptions, services: this.services.size, pendingFragmentSets, pendingServiceCalls, droppedMessages: dropped, rejected: this.rejected };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.sessions) s.terminate();
    this.wss.close();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  // ---- internals used by sessions ----

  /** @internal */
  get options(): typeof this.opts {
    return this.opts;
  }

  /** @internal */
  checkToken(mac: unknown): boolean {
    if (this.opts.token === undefined) return true;
    if (typeof mac !== 'string') return false;
    // Compare digests so the comparison time says nothing about the token.
    const a = createHash('sha256').update(mac).digest();
    const b = createHash('sha256').update(this.opts.token).digest();
    return timingSafeEqual(a, b);
  }

  /** @internal */
  topic(name: string): TopicRecord | undefined {
    return this.topics.get(name);
  }

  /** @internal A client subscribes to or advertises a topic nobody defined yet. */
  createClientTopic(name: string, type: string, id: string | undefined): TopicRecord {
    let clientTopics = 0;
    for (const t of this.topics.values()) if (!t.serverOwned) clientTopics++;
    if (clientTopics >= MAX_CLIENT_TOPICS) throw new ProtocolError(`too many topics (limit ${MAX_CLIENT_TOPICS})`, id);
    const record: TopicRecord = { name, type: canonicalTypeName(type), serverOwned: false, latched: false, clientsMayPublish: true, last: null, subscribers: new Set(), publishers: new Set(), handlers: [] };
    this.topics.set(name, record);
    return record;
  }

  /** @internal Forgets a client topic nobody uses any more. */
  collect(record: TopicRecord): void {
    if (!record.serverOwned && record.subscribers.size === 0 && record.publishers.size === 0) this.topics.delete(record.name);
  }

  /** @internal */
  service(name: string): ServiceRecord | undefined {
    return this.services.get(name);
  }

  /** @internal */
  addClientService(name: string, type: string, provider: Session, id: string | undefined): void {
    const existing = this.services.get(name);
    if (existing?.handler) throw new ProtocolError(`advertise_service: ${name} is provided by the simulator`, id);
    if (existing?.provider && existing.provider !== provider) throw new ProtocolError(`advertise_service: ${name} is already provided by another client`, id);
    let count = 0;
    for (const s of this.services.values()) if (s.provider) count++;
    if (!existing && count >= MAX_CLIENT_SERVICES) throw new ProtocolError(`too many services (limit ${MAX_CLIENT_SERVICES})`, id);
    this.services.set(name, { name, type: canonicalTypeName(type), provider });
  }

  /** @internal */
  removeClientService(name: string, provider: Session): boolean {
    const s = this.services.get(name);
    if (!s || s.provider !== provider) return false;
    this.services.delete(name);
    return true;
  }

  /** @internal Sends a (checked) message to the topic's subscribers and handlers. */
  deliver(record: TopicRecord, message: Record<string, unknown>, from?: Session): void {
    if (record.latched) record.last = message;
    if (record.subscribers.size > 0) {
      const encoded = encodedMessage(record.name, message);
      const now = performance.now();
      for (const sub of record.subscribers) sub.offer(encoded, now);
    }
    for (const h of record.handlers) {
      try {
        h(message, { clientId: from?.id ?? 0 });
      } catch (err) {
        from?.status('error', `publish ${record.name}: ${(err as Error).message}`);
      }
    }
  }

  /** @internal */
  latchedMessage(record: TopicRecord): EncodedMessage | null {
    return record.latched && record.last ? encodedMessage(record.name, record.last) : null;
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    if (this.closed || this.sessions.size >= this.opts.maxClients) {
      ws.close(1013, 'too many clients');
      return;
    }
    const session = new Session(this, ws, this.nextClientId++, req.socket.remoteAddress ?? '?');
    this.sessions.add(session);
    this.opts.log?.(`client ${session.id} connected from ${session.address}`);
    ws.on('close', () => {
      this.droppedOfClosed += session.droppedMessages;
      session.dispose();
      this.sessions.delete(session);
      this.opts.log?.(`client ${session.id} disconnected`);
    });
  }

  private async serveHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (this.opts.http && (await this.opts.http(req, res))) return;
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`error: ${(err as Error).message}`);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found (this is a rosbridge WebSocket server)');
  }
}

/** Encodes a topic message lazily, once per compression, for every subscriber at once. */
function encodedMessage(topic: string, msg: Record<string, unknown>): EncodedMessage {
  const cache = new Map<Compression, string | Uint8Array>();
  return {
    get(compression: Compression) {
      let e = cache.get(compression);
      if (e === undefined) {
        const op = { op: 'publish', topic, msg };
        if (compression === 'cbor') e = toCbor(op);
        else if (compression === 'png') e = toPngOp(cache.get('none') as string | undefined ?? toJson(op));
        else e = toJson(op);
        cache.set(compression, e);
      }
      return e;
    },
  };
}

interface FragmentSet {
  total: number;
  parts: (string | undefined)[];
  received: number;
  bytes: number;
}

/** One WebSocket client. */
class Session {
  authed: boolean;
  droppedMessages = 0;
  private readonly subs = new Map<string, Subscription>();
  private readonly advertised = new Set<string>();
  private readonly providedServices = new Set<string>();
  private readonly fragments = new Map<string, FragmentSet>();
  /** Calls routed to this client's services: our id -> caller. */
  readonly pendingCalls = new Map<string, { caller: Session; callerId: string | undefined; service: string; type: string; timer: NodeJS.Timeout }>();
  private nextFragmentId = 0;
  private nextCallId = 0;
  private authTimer: NodeJS.Timeout | null = null;
  private disposed = false;

  constructor(
    private readonly server: BridgeServer,
    private readonly ws: WebSocket,
    readonly id: number,
    readonly address: string,
  ) {
    this.authed = !server.requiresToken;
    if (!this.authed) {
      this.authTimer = setTimeout(() => this.refuse('authentication timed out'), server.options.authTimeoutMs);
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

  /** Sends a frame unless this client is too far behind; `droppable` frames are dropped then. */
  sendFrame(frame: string | Uint8Array, droppable: boolean): boolean {
    if (this.disposed || this.ws.readyState !== this.ws.OPEN) return false;
    const buffered = this.ws.bufferedAmount;
    const limit = this.server.options.maxBufferedBytes;
    if (buffered > 4 * limit) {
      // Not reading at all: keeping it would only grow memory.
      this.ws.terminate();
      return false;
    }
    if (droppable && buffered > limit) {
      this.droppedMessages++;
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

  terminate(): void {
    this.ws.terminate();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.authTimer) clearTimeout(this.authTimer);
    for (const [topic, sub] of this.subs) {
      sub.close();
      this.droppedMessages += sub.dropped;
      const record = this.server.topic(topic);
      if (record) {
        record.subscribers.delete(sub);
        this.server.collect(record);
      }
    }
    this.subs.clear();
    for (const topic of this.advertised) {
      const record = this.server.topic(topic);
      if (record) {
        record.publishers.delete(this);
        this.server.collect(record);
      }
    }
    for (const name of this.providedServices) this.server.removeClientService(name, this);
    for (const [, call] of this.pendingCalls) {
      clearTimeout(call.timer);
      call.caller.serviceResult(call.callerId, call.service, false, 'the client providing the service disconnected');
    }
    this.pendingCalls.clear();
    this.fragments.clear();
  }

  /** Answers the caller of a service. */
  serviceResult(id: string | undefined, service: string, ok: boolean, values: Record<string, unknown> | string): void {
    this.sendOp({ op: 'service_response', service, result: ok, values, ...(id !== undefined ? { id } : {}) });
  }

  private refuse(reason: string): void {
    this.status('error', reason);
    this.ws.close(4001, reason.slice(0, 100));
  }

  private reject(err: unknown, fallbackId?: string): void {
    this.server.rejected++;
    if (err instanceof ProtocolError) this.status('error', err.message, err.id ?? fallbackId);
    else this.status('error', `internal error: ${(err as Error)?.message ?? String(err)}`, fallbackId);
  }

  private receive(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
    if (size > this.server.options.maxMessageBytes) {
      this.reject(new ProtocolError(`message of ${size} bytes exceeds the limit of ${this.server.options.maxMessageBytes} bytes`));
      return;
    }
    let value: unknown;
    try {
      value = decodeFrame(data, isBinary);
    } catch (err) {
      this.reject(new ProtocolError((err as Error).message));
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
      if (op.op === 'auth' && this.server.checkToken(op.mac)) {
        this.authed = true;
        if (this.authTimer) clearTimeout(this.authTimer);
        this.authTimer = null;
        return;
      }
      return this.refuse(op.op === 'auth' ? 'authentication failed: wrong token' : 'authenticate first: send {"op": "auth", "mac": TOKEN}');
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
        const record = this.server.topic(topic);
        if (record) {
          record.publishers.delete(this);
          this.server.collect(record);
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
        this.server.addClientService(service, type, this, idOf(op));
        this.providedServices.add(service);
        return;
      }
      case 'unadvertise_service': {
        const service = nameField(op, 'service');
        if (!this.server.removeClientService(service, this)) throw new ProtocolError(`unadvertise_service: ${service} is not provided by this client`, idOf(op));
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
    let record = this.server.topic(topic);
    if (record) {
      if (record.type !== canonicalTypeName(type)) throw new ProtocolError(`advertise: ${topic} has type ${record.type}, not ${type}`, idOf(op));
      if (record.serverOwned && !record.clientsMayPublish) throw new ProtocolError(`advertise: ${topic} is published by the simulator; clients cannot publish on it`, idOf(op));
    } else {
      record = this.server.createClientTopic(topic, type, idOf(op));
    }
    record.publishers.add(this);
    this.advertised.add(topic);
  }

  private publish(op: RawOp): void {
    const topic = nameField(op, 'topic');
    const record = this.server.topic(topic);
    if (!record) throw new ProtocolError(`publish: unknown topic ${topic} (advertise it with a type first)`, idOf(op));
    if (record.serverOwned && !record.clientsMayPublish) throw new ProtocolError(`publish: ${topic} is published by the simulator; clients cannot publish on it`, idOf(op));
    let msg: Record<string, unknown>;
    try {
      msg = checkMessage(record.type, op.msg ?? {});
    } catch (err) {
      if (err instanceof MessageMismatch) throw new ProtocolError(`publish ${topic}: message does not match ${record.type}: ${err.message}`, idOf(op));
      throw err;
    }
    this.deliverFrom(record, msg);
  }

  private deliverFrom(record: TopicRecord, msg: Record<string, unknown>): void {
    this.server.deliver(record, msg, this);
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
      throw new ProtocolError(`subscribe: compression must be none, png or cbor, got ${JSON.stringify(compression.slice(0, 30))}`, idOf(op));
    }
    const options: SubscriptionOptions = {
      compression: compression as Compression,
      throttleRateMs: optionalNumber(op, 'throttle_rate', { max: 3_600_000 }) ?? 0,
      queueLength: optionalNumber(op, 'queue_length', { max: MAX_QUEUE_LENGTH, integer: true }) ?? 0,
      fragmentSize: optionalNumber(op, 'fragment_size', { min: 1, max: 1 << 30, integer: true }) ?? 0,
    };
    let record = this.server.topic(topic);
    if (record) {
      if (type !== undefined && canonicalTypeName(type) !== record.type) throw new ProtocolError(`subscribe: ${topic} has type ${record.type}, not ${type}`, idOf(op));
    } else {
      if (type === undefined) throw new ProtocolError(`subscribe: unknown topic ${topic} (give its type to wait for a publisher)`, idOf(op));
      if (!isKnownMessageType(type)) throw new ProtocolError(`subscribe: unknown message type ${type}`, idOf(op));
      record = this.server.createClientTopic(topic, type, idOf(op));
    }
    let sub = this.subs.get(topic);
    if (sub) {
      sub.options = options;
    } else {
      if (this.subs.size >= MAX_SUBSCRIPTIONS_PER_CLIENT) throw new ProtocolError(`subscribe: too many subscriptions (limit ${MAX_SUBSCRIPTIONS_PER_CLIENT})`, idOf(op));
      sub = new Subscription(topic, options, (frame, o) => this.sendTopicFrame(frame, o));
      this.subs.set(topic, sub);
      record.subscribers.add(sub);
    }
    sub.ids.add(id);
    const latched = this.server.latchedMessage(record);
    if (latched) this.sendTopicFrame(latched.get(options.compression), options);
  }

  private sendTopicFrame(frame: string | Uint8Array, options: SubscriptionOptions): void {
    if (typeof frame === 'string' && options.fragmentSize > 0 && frame.length > options.fragmentSize) {
      const id = `fragment:${this.id}:${this.nextFragmentId++}`;
      // All fragments or none: a partial set would only fill the client's fragment buffer.
      if (this.ws.bufferedAmount > this.server.options.maxBufferedBytes) {
        this.droppedMessages++;
        return;
      }
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
    this.droppedMessages += sub.dropped;
    this.subs.delete(topic);
    const record = this.server.topic(topic);
    if (record) {
      record.subscribers.delete(sub);
      this.server.collect(record);
    }
  }

  private callService(op: RawOp): void {
    const id = idOf(op);
    let service: string;
    try {
      service = nameField(op, 'service');
    } catch (err) {
      this.serviceResult(id, String(op.service).slice(0, 256), false, (err as Error).message);
      throw err;
    }
    const record = this.server.service(service);
    if (!record) {
      this.serviceResult(id, service, false, `unknown service ${service}`);
      throw new ProtocolError(`call_service: unknown service ${service}`, id);
    }
    let args: Record<string, unknown>;
    try {
      args = checkServicePart(record.type, 'request', op.args ?? {});
    } catch (err) {
      const message = `call_service ${service}: request does not match ${record.type}: ${(err as Error).message}`;
      this.serviceResult(id, service, false, message);
      throw new ProtocolError(message, id);
    }
    if (record.handler) {
      record.handler(args, { clientId: this.id }).then(
        (values) => {
          let checked: Record<string, unknown>;
          try {
            checked = checkServicePart(record.type, 'response', values);
          } catch (err) {
            this.serviceResult(id, service, false, `internal: bad response: ${(err as Error).message}`);
            return;
          }
          this.serviceResult(id, service, true, checked);
        },
        (err: unknown) => this.serviceResult(id, service, false, (err as Error)?.message ?? String(err)),
      );
      return;
    }
    const provider = record.provider as Session;
    const callId = `call:${provider.id}:${provider.nextCallId++}`;
    const timer = setTimeout(() => {
      provider.pendingCalls.delete(callId);
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
    if (op.result === false) {
      call.caller.serviceResult(call.callerId, call.service, false, typeof op.values === 'string' ? op.values.slice(0, 4096) : 'the service failed');
      return;
    }
    try {
      call.caller.serviceResult(call.callerId, call.service, true, checkServicePart(call.type, 'response', op.values ?? {}));
    } catch (err) {
      call.caller.serviceResult(call.callerId, call.service, false, `the provider's response does not match ${call.type}: ${(err as Error).message}`);
      throw new ProtocolError(`service_response: values do not match ${call.type}: ${(err as Error).message}`, id);
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
    if (set.bytes > this.server.options.maxMessageBytes) {
      this.fragments.delete(id);
      throw new ProtocolError(`fragment: reassembled message exceeds the limit of ${this.server.options.maxMessageBytes} bytes`, id);
    }
    set.parts[num] = op.data;
    set.received++;
    if (set.received < set.total) return;
    this.fragments.delete(id);
    let whole: unknown;
    try {
      whole = JSON.parse(set.parts.join(''));
    } catch {
      throw new ProtocolError('fragment: the fragments do not form valid JSON', id);
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
