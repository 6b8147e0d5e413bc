import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalidArgument } from '../../core/index.js';
import type { SessionLimits } from './session.js';
import { DEFAULT_MAX_NESTING_DEPTH } from './wire.js';

// A BridgeServer's options and stats, and the defaults and checks that resolve the options.

export interface BridgeServerOptions {
  /** Default 9090; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  /** When set (non-empty), a client must send `{op: "auth", mac: TOKEN}` before anything else. */
  token?: string;
  /** Largest accepted message (a frame, or a reassembled set of fragments). Default 8 MiB. */
  maxMessageBytes?: number;
  /** WebSocket frame limit; larger frames close the connection. Default 4 x maxMessageBytes. */
  maxFrameBytes?: number;
  /** Per-client unsent bytes above which topic messages are dropped (2x disconnects). Default 8 MiB. */
  maxBufferedBytes?: number;
  /** Per-client bytes held in subscription queues (queue_length > 0). Default 8 MiB. */
  maxQueuedBytes?: number;
  /** A client over maxBufferedBytes that takes none of it for this long is disconnected. Default 3 s. */
  maxStallMs?: number;
  /** Authenticated clients (all clients when there is no token). Default 32. */
  maxClients?: number;
  /** Clients still to authenticate, in all. Default 32. */
  maxPendingAuth?: number;
  /** Clients still to authenticate from one address. Default 8. */
  maxPendingAuthPerAddress?: number;
  /** A client with a token to present must do so within this time. Default 3 s. */
  authTimeoutMs?: number;
  /** Bytes a client may send before authenticating. Default 64 KiB. */
  maxPreAuthBytes?: number;
  /** Nesting of a received JSON or CBOR frame. Default 32. */
  maxNestingDepth?: number;
  /** Per-client input pacing: messages a second (bursts of twice that). Default 2000. */
  inboundMessagesPerSecond?: number;
  /** Per-client input pacing: bytes a second. Default 64 MiB. */
  inboundBytesPerSecond?: number;
  /** Check every publication against its type (tests: the documented types are what is sent). */
  checkOutgoing?: boolean;
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

export interface BridgeStats {
  /** Authenticated clients. */
  clients: number;
  /** Clients connected but not yet authenticated. */
  pendingAuth: number;
  topics: number;
  subscriptions: number;
  services: number;
  pendingFragmentSets: number;
  pendingServiceCalls: number;
  /** Topic messages dropped for slow clients or by throttling/queue limits. */
  droppedMessages: number;
  /** Status replies sent for rejected input (refusals included). */
  rejected: number;
  /** Bytes held in subscription queues, all clients. */
  queuedBytes: number;
  /** Bytes written but not yet taken by clients. */
  bufferedBytes: number;
  /** Times a client's input was paused for exceeding its pace. */
  inputPauses: number;
  /** Unauthenticated clients closed to make room for newer ones. */
  evictions: number;
  /** Publications that did not match their type (only with `checkOutgoing`); the first 10. */
  outgoingMismatches: string[];
}

export type ResolvedOptions = Required<Omit<BridgeServerOptions, 'token' | 'http' | 'log'>> & Pick<BridgeServerOptions, 'token' | 'http' | 'log'>;

/** A ROS op that authenticates is under 1 KiB; this leaves room for long tokens. */
export const MAX_PRE_AUTH_FRAME_BYTES = 4096;

/** Fills in the defaults and checks every option; the limits each session is held to. */
export function resolveOptions(options: BridgeServerOptions): { opts: ResolvedOptions; limits: SessionLimits } {
  const maxMessageBytes = options.maxMessageBytes ?? 8 * 1024 * 1024;
  const maxBufferedBytes = options.maxBufferedBytes ?? 8 * 1024 * 1024;
  const opts: ResolvedOptions = {
    port: options.port ?? 9090,
    host: options.host ?? '127.0.0.1',
    token: options.token,
    maxMessageBytes,
    maxFrameBytes: options.maxFrameBytes ?? 4 * maxMessageBytes,
    maxBufferedBytes,
    maxQueuedBytes: options.maxQueuedBytes ?? maxBufferedBytes,
    maxStallMs: options.maxStallMs ?? 3000,
    maxClients: options.maxClients ?? 32,
    maxPendingAuth: options.maxPendingAuth ?? 32,
    maxPendingAuthPerAddress: options.maxPendingAuthPerAddress ?? 8,
    authTimeoutMs: options.authTimeoutMs ?? 3000,
    maxPreAuthBytes: options.maxPreAuthBytes ?? 64 * 1024,
    maxNestingDepth: options.maxNestingDepth ?? DEFAULT_MAX_NESTING_DEPTH,
    inboundMessagesPerSecond: options.inboundMessagesPerSecond ?? 2000,
    inboundBytesPerSecond: options.inboundBytesPerSecond ?? 64 * 1024 * 1024,
    checkOutgoing: options.checkOutgoing ?? false,
    http: options.http,
    log: options.log,
  };
  const positive = [
    'maxMessageBytes', 'maxFrameBytes', 'maxBufferedBytes', 'maxQueuedBytes', 'maxStallMs', 'maxClients', 'maxPendingAuth', 'maxPendingAuthPerAddress',
    'authTimeoutMs', 'maxPreAuthBytes', 'maxNestingDepth', 'inboundMessagesPerSecond', 'inboundBytesPerSecond',
  ] as const;
  for (const key of positive) {
    const v = opts[key];
    if (!Number.isInteger(v) || v < 1) throw invalidArgument(`options.${key}`, `must be a positive integer, got ${String(v)}`);
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw invalidArgument('options.port', `must be 0-65535, got ${opts.port}`);
  if (options.token !== undefined && (typeof options.token !== 'string' || options.token.length === 0)) throw invalidArgument('options.token', 'must be a non-empty string (leave it out for no authentication)');
  return {
    opts,
    limits: {
      maxMessageBytes: opts.maxMessageBytes,
      maxBufferedBytes: opts.maxBufferedBytes,
      maxStallMs: opts.maxStallMs,
      maxQueuedBytes: opts.maxQueuedBytes,
      maxPreAuthBytes: opts.maxPreAuthBytes,
      maxPreAuthFrameBytes: MAX_PRE_AUTH_FRAME_BYTES,
      maxNestingDepth: opts.maxNestingDepth,
      authTimeoutMs: opts.authTimeoutMs,
      inboundMessagesPerSecond: opts.inboundMessagesPerSecond,
      inboundBytesPerSecond: opts.inboundBytesPerSecond,
    },
  };
}
