import type { WebSocket } from 'ws';
import type { SubscriptionOptions } from './subscription.js';
import { fragmentJson, type WireFrame } from './wire.js';

export interface OutboxLimits {
  /** Unsent bytes past which droppable frames are dropped; twice this closes the client. */
  maxBufferedBytes: number;
  /** A client over `maxBufferedBytes` that takes nothing from its backlog for this long is closed. */
  maxStallMs: number;
}

/**
 * What goes out to one client. Output never waits: topic messages are dropped past
 * `maxBufferedBytes` of unsent data, and a client past twice that, or over it without taking
 * anything for `maxStallMs`, is cut off. Control ops (status, service responses) are never
 * dropped while the client is alive; a fragmented topic message goes out whole or not at all.
 */
export class Outbox {
  /** Topic messages dropped here (the subscriptions count their own). */
  dropped = 0;
  /** Since when this client has been over its send budget without taking any of it (null: it is not). */
  private stall: { sinceMs: number; bufferedBytes: number } | null = null;
  private nextFragmentId = 0;
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly limits: OutboxLimits,
    /** The client's id, in fragment ids. */
    private readonly clientId: number,
    /** Disconnects the client, saying why. */
    private readonly cutOff: (why: string) => void,
  ) {}

  get bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }

  /** Nothing more is sent. */
  close(): void {
    this.closed = true;
  }

  /** Sends a frame unless this client is too far behind; `droppable` frames are dropped then. */
  send(frame: WireFrame, droppable: boolean): boolean {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return false;
    const buffered = this.ws.bufferedAmount;
    const limit = this.limits.maxBufferedBytes;
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
      else if (now - this.stall.sinceMs > this.limits.maxStallMs) {
        this.cutOff(`${buffered} bytes unsent and none taken for ${Math.round(now - this.stall.sinceMs)} ms`);
        return false;
      }
    }
    if (droppable && buffered > limit) {
      this.dropped++;
      return false;
    }
    this.ws.send(frame);
    return true;
  }

  /** Sends a topic message, in fragments when the subscription asked for them. */
  sendTopicFrame(frame: WireFrame, options: SubscriptionOptions): void {
    if (typeof frame === 'string' && options.fragmentSize > 0 && frame.length > options.fragmentSize) {
      // All fragments or none: a partial set would only fill the client's fragment buffer.
      if (this.ws.bufferedAmount + frame.length > this.limits.maxBufferedBytes) {
        this.dropped++;
        return;
      }
      const id = `fragment:${this.clientId}:${this.nextFragmentId++}`;
      for (const part of fragmentJson(frame, options.fragmentSize, id)) this.send(part, false);
      return;
    }
    this.send(frame, true);
  }
}
