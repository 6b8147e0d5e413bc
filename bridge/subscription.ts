import type { Compression } from './wire.js';

/**
 * One client's subscription to one topic, with rosbridge's delivery rules:
 * - `throttleRateMs` 0 and `queueLength` 0: every message goes out at once.
 * - `throttleRateMs` > 0, `queueLength` 0: a message arriving sooner than `throttleRateMs` after
 *   the last one sent is dropped.
 * - `queueLength` > 0: messages wait in a queue of that length (the oldest is dropped when it is
 *   full) and leave one per `throttleRateMs` (all at once when the rate is 0).
 * Messages reach the subscription already encoded; `send` is the client's (non-blocking) sender.
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
  get(compression: Compression): string | Uint8Array;
}

export class Subscription {
  /** Subscribe ids that refer to this subscription (a client may subscribe twice to one topic). */
  readonly ids = new Set<string>();
  private queue: EncodedMessage[] = [];
  private lastSentMs = -Infinity;
  private timer: NodeJS.Timeout | null = null;
  dropped = 0;

  constructor(
    readonly topic: string,
    public options: SubscriptionOptions,
    private readonly send: (frame: string | Uint8Array, options: SubscriptionOptions) => void,
  ) {}

  offer(message: EncodedMessage, nowMs = performance.now()): void {
    const { throttleRateMs, queueLength } = this.options;
    if (queueLength === 0) {
      if (throttleRateMs > 0 && nowMs - this.lastSentMs < throttleRateMs) {
        this.dropped++;
        return;
      }
      this.emit(message, nowMs);
      return;
    }
    this.queue.push(message);
    while (this.queue.length > queueLength) {
      this.queue.shift();
      this.dropped++;
    }
    this.schedule(nowMs);
  }

  /** Stops timers and forgets queued messages. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue = [];
  }

  private schedule(nowMs: number): void {
    if (this.timer) return;
    const waitMs = Math.max(0, this.lastSentMs + this.options.throttleRateMs - nowMs);
    this.timer = setTimeout(() => this.flush(), waitMs);
  }

  private flush(): void {
    this.timer = null;
    const now = performance.now();
    if (this.options.throttleRateMs === 0) {
      const all = this.queue;
      this.queue = [];
      for (const m of all) this.emit(m, now);
      return;
    }
    const next = this.queue.shift();
    if (next) this.emit(next, now);
    if (this.queue.length > 0) this.schedule(now);
  }

  private emit(message: EncodedMessage, nowMs: number): void {
    this.lastSentMs = nowMs;
    this.send(message.get(this.options.compression), this.options);
  }
}
