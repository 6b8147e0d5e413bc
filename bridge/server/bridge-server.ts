import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { invalidArgument, PeractError } from '../../core/index.js';
import { MAX_CLIENT_SERVICES } from './client-services.js';
import { encodedMessage, type ServiceHandler, type ServiceRecord, type TopicHandler, type TopicRecord } from './graph.js';
import { canonicalTypeName, checkMessage, isKnownMessageType, isKnownServiceType } from './message-types.js';
import { errorText, ProtocolError } from './protocol.js';
import { advertiseRosapi } from './rosapi.js';
import { resolveOptions, type BridgeServerOptions, type BridgeStats, type ResolvedOptions, type TopicOptions } from './server-options.js';
import { Session, type SessionHost, type SessionLimits } from './session.js';
import type { EncodedMessage } from './subscription.js';

export type { CallContext, ServiceHandler, TopicHandler } from './graph.js';
export type { BridgeServerOptions, BridgeStats, TopicOptions } from './server-options.js';

/**
 * A rosbridge v2 server without ROS underneath: topics and services live in this process. The
 * simulator (sim-robot.ts) publishes on it and serves services; clients (roslib, the viewer,
 * a real rosbridge client) subscribe, publish and call. docs/bridge.md lists every limit;
 * server-options.ts has the options and their defaults, session.ts the per-client protocol.
 *
 * Robustness rules (rosbridge_suite only logs; this server answers):
 * - every rejected frame gets a `status` op (level error) naming the problem, and the
 *   connection keeps working; before authentication a bad frame closes it instead (4001);
 * - a frame over `maxMessageBytes` is answered and dropped; one over `maxFrameBytes` (the
 *   WebSocket limit) closes that connection with 1009, since it cannot be skipped unread; a
 *   frame nested deeper than `maxNestingDepth` is refused before it is parsed;
 * - with a token, clients that have not authenticated do not take the places of those that
 *   have: they wait in a pool of their own (`maxPendingAuth`, `maxPendingAuthPerAddress`),
 *   the oldest is closed to make room for a newcomer, and each has `authTimeoutMs` and
 *   `maxPreAuthBytes` to authenticate in;
 * - input is paced per client, output never waits for a client: topic messages are dropped
 *   past `maxBufferedBytes` of unsent data or `maxQueuedBytes` of queued messages, and a client
 *   whose unsent data passes twice the first, or stays over it unread for `maxStallMs`, is
 *   disconnected;
 * - client-created topics, subscriptions, services, fragment sets and calls in flight are capped;
 * - every handler's promise is caught: a failing handler is an answer, never a crash.
 */

const MAX_CLIENT_TOPICS = 256;

export class BridgeServer implements SessionHost {
  readonly limits: SessionLimits;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly topics = new Map<string, TopicRecord>();
  private readonly services = new Map<string, ServiceRecord>();
  private readonly sessions = new Set<Session>();
  private readonly opts: ResolvedOptions;
  private nextClientId = 1;
  private closed = false;
  private droppedOfClosed = 0;
  private pausesOfClosed = 0;
  private rejected = 0;
  private evictions = 0;
  private readonly outgoingMismatches: string[] = [];

  private constructor(options: BridgeServerOptions) {
    const resolved = resolveOptions(options);
    this.opts = resolved.opts;
    this.limits = resolved.limits;
    // Sockets that never finish their HTTP request (upgrade or viewer file) are closed in 10 s.
    this.http = createServer({ headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 1000 }, (req, res) => void this.serveHttp(req, res));
    this.wss = new WebSocketServer({ server: this.http, maxPayload: this.opts.maxFrameBytes, perMessageDeflate: false });
    this.wss.on('connection', (ws, req) => this.accept(ws, req));
    advertiseRosapi(this, this.topics, this.services);
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
    if (this.opts.checkOutgoing) {
      try {
        checkMessage(record.type, message);
      } catch (err) {
        const line = `${topic} (${record.type}): ${errorText(err)}`;
        if (this.outgoingMismatches.length < 10) this.outgoingMismatches.push(line);
        this.log(`published message does not match its type: ${line}`);
      }
    }
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

  /** Service names and types. */
  serviceList(): { services: string[]; types: string[] } {
    const list = [...this.services.values()];
    return { services: list.map((s) => s.name), types: list.map((s) => s.type) };
  }

  stats(): BridgeStats {
    let clients = 0;
    let pendingAuth = 0;
    let subscriptions = 0;
    let pendingFragmentSets = 0;
    let pendingServiceCalls = 0;
    let queuedBytes = 0;
    let bufferedBytes = 0;
    let dropped = this.droppedOfClosed;
    let inputPauses = this.pausesOfClosed;
    for (const s of this.sessions) {
      if (s.authed && !s.leaving) clients++;
      else if (!s.authed && !s.leaving) pendingAuth++;
      subscriptions += s.subscriptionCount;
      pendingFragmentSets += s.fragmentSets;
      pendingServiceCalls += s.pendingCalls.size;
      queuedBytes += s.queuedBytes;
      bufferedBytes += s.bufferedBytes;
      dropped += s.droppedMessages;
      inputPauses += s.pauses;
    }
    return {
      clients,
      pendingAuth,
      topics: this.topics.size,
      subscriptions,
      services: this.services.size,
      pendingFragmentSets,
      pendingServiceCalls,
      droppedMessages: dropped,
      rejected: this.rejected,
      queuedBytes,
      bufferedBytes,
      inputPauses,
      evictions: this.evictions,
      outgoingMismatches: [...this.outgoingMismatches],
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.sessions) s.terminate();
    this.wss.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  // ---- SessionHost: what sessions use ----

  checkToken(mac: unknown): boolean {
    if (this.opts.token === undefined) return true;
    if (typeof mac !== 'string') return false;
    // Compare digests so the comparison time says nothing about the token.
    const a = createHash('sha256').update(mac).digest();
    const b = createHash('sha256').update(this.opts.token).digest();
    return timingSafeEqual(a, b);
  }

  admit(session: Session): boolean {
    let authed = 0;
    for (const s of this.sessions) if (s !== session && s.authed && !s.leaving) authed++;
    if (authed >= this.opts.maxClients) return false;
    this.log(`client ${session.id} authenticated`);
    return true;
  }

  topic(name: string): TopicRecord | undefined {
    return this.topics.get(name);
  }

  createClientTopic(name: string, type: string, id: string | undefined): TopicRecord {
    let clientTopics = 0;
    for (const t of this.topics.values()) if (!t.serverOwned) clientTopics++;
    if (clientTopics >= MAX_CLIENT_TOPICS) throw new ProtocolError(`too many topics (limit ${MAX_CLIENT_TOPICS})`, id);
    const record: TopicRecord = { name, type: canonicalTypeName(type), serverOwned: false, latched: false, clientsMayPublish: true, last: null, subscribers: new Set(), publishers: new Set(), handlers: [] };
    this.topics.set(name, record);
    return record;
  }

  /** Forgets a client topic nobody uses any more. */
  collect(record: TopicRecord): void {
    if (!record.serverOwned && record.subscribers.size === 0 && record.publishers.size === 0) this.topics.delete(record.name);
  }

  service(name: string): ServiceRecord | undefined {
    return this.services.get(name);
  }

  addClientService(name: string, type: string, provider: Session, id: string | undefined): void {
    const existing = this.services.get(name);
    if (existing?.handler) throw new ProtocolError(`advertise_service: ${name} is provided by the server`, id);
    if (existing?.provider && existing.provider !== provider) throw new ProtocolError(`advertise_service: ${name} is already provided by another client`, id);
    let count = 0;
    for (const s of this.services.values()) if (s.provider) count++;
    if (!existing && count >= MAX_CLIENT_SERVICES) throw new ProtocolError(`too many services (limit ${MAX_CLIENT_SERVICES})`, id);
    this.services.set(name, { name, type: canonicalTypeName(type), provider });
  }

  removeClientService(name: string, provider: Session): boolean {
    const s = this.services.get(name);
    if (!s || s.provider !== provider) return false;
    this.services.delete(name);
    return true;
  }

  /** Sends a (checked) message to the topic's subscribers and handlers. */
  deliver(record: TopicRecord, message: Record<string, unknown>, from?: Session): void {
    const encoded = encodedMessage(record.name, message);
    if (record.latched) record.last = encoded;
    if (record.subscribers.size > 0) {
      const now = performance.now();
      for (const sub of record.subscribers) sub.offer(encoded, now);
    }
    for (const h of record.handlers) {
      const fail = (err: unknown) => {
        const text = `publish ${record.name}: ${errorText(err)}`;
        this.log(`client ${from?.id ?? 0}: ${text}`);
        from?.status('error', text);
      };
      try {
        const result = h(message, { clientId: from?.id ?? 0 });
        if (result instanceof Promise) result.catch(fail);
      } catch (err) {
        fail(err);
      }
    }
  }

  latchedMessage(record: TopicRecord): EncodedMessage | null {
    return record.latched ? record.last : null;
  }

  noteRejected(): void {
    this.rejected++;
  }

  log(line: string): void {
    this.opts.log?.(line);
  }

  // ---- internals ----

  private accept(ws: WebSocket, req: IncomingMessage): void {
    const address = req.socket.remoteAddress ?? '?';
    if (this.closed) {
      ws.close(1001, 'the server is closing');
      return;
    }
    if (!this.requiresToken) {
      if (this.sessions.size >= this.opts.maxClients) {
        ws.close(1013, 'too many clients');
        return;
      }
    } else {
      this.makeRoomToAuthenticate(address);
    }
    const session = new Session(this, ws, this.nextClientId++, address, req.socket);
    this.sessions.add(session);
    this.log(`client ${session.id} connected from ${address}`);
    ws.on('close', () => {
      this.droppedOfClosed += session.droppedMessages;
      this.pausesOfClosed += session.pauses;
      session.dispose();
      this.sessions.delete(session);
      this.log(`client ${session.id} disconnected`);
    });
  }

  /**
   * Unauthenticated clients wait in their own pool, never in the places of authenticated ones;
   * when the pool (or one address's share) is full the oldest waiting client goes. Holding the
   * pool takes an attacker more new connections than a client needs round trips to authenticate.
   */
  private makeRoomToAuthenticate(address: string): void {
    const waiting = [...this.sessions].filter((s) => !s.authed && !s.leaving);
    const sameAddress = waiting.filter((s) => s.address === address);
    let evict: Session | undefined;
    if (sameAddress.length >= this.opts.maxPendingAuthPerAddress) evict = sameAddress[0];
    else if (waiting.length >= this.opts.maxPendingAuth) evict = waiting[0];
    if (!evict) return;
    this.evictions++;
    evict.refuse('closed to make room: too many connections waiting to authenticate (authenticate at once)', 1013);
  }

  /** rosapi's listing services, which roslib's getTopics/getServices/... call. */
  private advertiseRosapi(): void {
    const typeOf = (map: Map<string, { type: string }>, name: unknown, field: string): { type: string } => {
      if (typeof name !== 'string' || name === '') throw invalidArgument(field, 'must be a non-empty name');
      return { type: map.get(name.startsWith('/') ? name : `/${name}`)?.type ?? '' };
    };
    this.advertiseService('/rosapi/topics', 'rosapi/Topics', () => this.topicList());
    this.advertiseService('/rosapi/services', 'rosapi/Services', () => ({ services: this.serviceList().services }));
    this.advertiseService('/rosapi/topic_type', 'rosapi/TopicType', (req) => typeOf(this.topics, req.topic, 'topic'));
    this.advertiseService('/rosapi/service_type', 'rosapi/ServiceType', (req) => typeOf(this.services, req.service, 'service'));
    this.advertiseService('/rosapi/topics_for_type', 'rosapi/TopicsForType', (req) => {
      const list = this.topicList();
      return { topics: list.topics.filter((_, i) => list.types[i] === canonicalTypeName(String(req.type))) };
    });
    this.advertiseService('/rosapi/services_for_type', 'rosapi/ServicesForType', (req) => {
      const list = this.serviceList();
      return { services: list.services.filter((_, i) => list.types[i] === canonicalTypeName(String(req.type))) };
    });
  }

  private async serveHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (this.opts.http && (await this.opts.http(req, res))) return;
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error');
      this.log(`http ${req.method ?? '?'} ${(req.url ?? '').slice(0, 200)}: ${errorText(err)}`);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found (this is a rosbridge WebSocket server)');
  }
}
