import type { Compression, WireFrame } from './wire.js';

/**
 * One client's subscription to one topic, with rosbridge's delivery rules:
 * - `throttleRateMs` 0 and `queueLength` 0: every message goes out at once.
 * - `throttleRateMs` > 0, `queueLength` 0: a message arriving sooner than `throttleRateMs` after
 *   the last one sent is dropped.
 * - `queueLength` > 0: messages wait in a queue of that length (the oldest is dropped when it is
 *   full) and leave one per `throttleRateMs` (all at once when the rate is 0).
 * Messages reach the subscription already encoded; `send` is the client's (non-blocking) sender.
 *
 * Queued messages are held encoded (not as message objects) and counted in bytes against the
 * client's `QueueBudget`, shared by all its subscriptions: `queue_length: 1000` on eight image
 * topics with a day-long `throttle_rate` holds at most the budget, dropping the oldest first.
 */
export interface SubscriptionOptions {
  compression: Compression;
  throttleRateMs: number;
  queueLength: number;
  /** Split JSON frames longer than this into `fragment` ops; 0 = never. */
  fragmentSize: number;
}

/** A message as it is offered: encodes itself on demand, once per compression across subscribers. */
export interface EncodedMessage {
  get(compression: Compression): WireFrame;
}

/** Bytes a client's queued messages may hold, across its subscriptions. */
export interface QueueBudget {
  usedBytes: number;
  readonly limitBytes: number;
}

export function frameBytes(frame: WireFrame): number {
  // JSON frames are ASCII (toJson escapes nothing beyond it for our messages; a rare non-ASCII
  // goal string is under-counted by its extra UTF-8 bytes, which the cap's slack absorbs).
  return typeof frame === 'string' ? frame.length : frame.byteLength;
}

export class Subscription {
  /** Subscribe ids that refer to this subscription (a client may subscribe twice to one topic). */
  readonly ids = new Set<string>();
  private queue: { frame: WireFrame; bytes: number }[] = [];
  private lastSentMs = -Infinity;
  private timer: NodeJS.Timeout | null = null;
  private opts: SubscriptionOptions;
  dropped = 0;

  constructor(
    readonly topic: string,
    options: SubscriptionOptions,
    private readonly budget: QueueBudget,
    private readonly send: (frame: WireFrame, options: SubscriptionOptions) => void,
  ) {
    this.opts = options;
  }

  get options(): SubscriptionOptions {
    return this.opts;
  }

  /** New options (a second subscribe to the topic): queued messages of the old ones are dropped. */
  update(options: SubscriptionOptions): void {
    this.dropped += this.queue.length;
    this.clearQueue();
    this.opts = options;
  }

  get queuedMessages(): number {
    return this.queue.length;
  }

  offer(message: EncodedMessage, nowMs = performance.now()): void {
    const { throttleRateMs, queueLength, compression } = this.opts;
    if (queueLength === 0) {
      if (throttleRateMs > 0 && nowMs - this.lastSentMs < throttleRateMs) {
        this.dropped++;
        return;
      }
      this.lastSentMs = nowMs;
      this.send(message.get(compression), this.opts);
      return;
    }
    const frame = message.get(compression);
    const bytes = frameBytes(frame);
    // Oldest first, past the queue's length or the client's byte budget.
    while (this.queue.length > 0 && (this.queue.length >= queueLength || this.budget.usedBytes + bytes > this.budget.limitBytes)) this.shift(true);
    if (this.budget.usedBytes + bytes > this.budget.limitBytes) {
      this.dropped++;
      return;
    }
    this.queue.push({ frame, bytes });
    this.budget.usedBytes += bytes;
    this.schedule(nowMs);
  }

  /** Stops timers and forgets queued messages (returning their bytes to the budget). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.clearQueue();
  }

  private clearQueue(): void {
    for (const q of this.queue) this.budget.usedBytes -= q.bytes;
    this.queue = [];
  }

  private shift(drop: boolean): WireFrame | undefined {
    const q = this.queue.shift();
    if (!q) return undefined;
    this.budget.usedBytes -= q.bytes;
    if (drop) this.dropped++;
    return q.frame;
  }

  private schedule(nowMs: number): void {
    if (this.timer) return;
    const waitMs = Math.max(0, this.lastSentMs + this.opts.throttleRateMs - nowMs);
    this.timer = setTimeout(() => this.flush(), waitMs);
  }

  private flush(): void {
    this.timer = null;
    const now = performance.now();
    if (this.opts.throttleRateMs === 0) {
      while (this.queue.length > 0) this.emit(this.shift(false) as WireFrame, now);
      return;
    }
    const next = this.shift(false);
    if (next !== undefined) this.emit(next, now);
    if (this.queue.length > 0) this.schedule(now);
  }

  private emit(frame: WireFrame, nowMs: number): void {
    this.lastSentMs = nowMs;
    this.send(frame, this.opts);
  }
}
