import type { WebSocket } from 'ws';

/** One frame as ws hands it over. */
export interface InboundFrame {
  data: Buffer | ArrayBuffer | Buffer[];
  isBinary: boolean;
}

export interface PacingLimits {
  inboundMessagesPerSecond: number;
  inboundBytesPerSecond: number;
  maxMessageBytes: number;
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

/**
 * A client's input budget: messages and bytes a second, with bursts of twice that (and at least
 * two of the largest messages). Past it the socket is paused until the budget refills, so TCP
 * holds the rest and one flooding client cannot take the event loop from the others. Frames ws
 * had already read when input paused are kept and handled first, in order, on resume.
 */
export class InputPacing {
  /** Times this client's input was paused for exceeding its budget. */
  pauses = 0;
  private readonly messagePacer: Pacer;
  private readonly bytePacer: Pacer;
  private resumeTimer: NodeJS.Timeout | null = null;
  private backlog: InboundFrame[] = [];
  private stopped = false;

  constructor(
    private readonly ws: WebSocket,
    limits: PacingLimits,
    /** Handles one frame (and charges it with `charge`). */
    private readonly process: (frame: InboundFrame) => void,
    /** True once the client is on its way out: the backlog is then dropped. */
    private readonly leaving: () => boolean,
  ) {
    this.messagePacer = new Pacer(limits.inboundMessagesPerSecond, 2 * limits.inboundMessagesPerSecond);
    this.bytePacer = new Pacer(limits.inboundBytesPerSecond, Math.max(2 * limits.inboundBytesPerSecond, 2 * limits.maxMessageBytes));
  }

  /** A frame from ws: handled now, or kept while input is paused (the rest of a TCP read). */
  receive(frame: InboundFrame): void {
    if (this.resumeTimer) this.backlog.push(frame);
    else this.process(frame);
  }

  /** Charges one frame to the budget; past it, input pauses until the budget refills. */
  charge(bytes: number): void {
    const now = performance.now();
    const waitMs = Math.max(this.messagePacer.take(1, now), this.bytePacer.take(bytes, now));
    if (waitMs <= 0 || this.resumeTimer || this.stopped) return;
    this.pauses++;
    this.ws.pause();
    this.resumeTimer = setTimeout(() => this.resume(), Math.ceil(waitMs));
  }

  /** The client is gone: no more resuming, the backlog is dropped. */
  stop(): void {
    this.stopped = true;
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.backlog = [];
  }

  private resume(): void {
    this.resumeTimer = null;
    // Frames ws had already read when input paused go first, paced like any other.
    while (this.backlog.length > 0 && !this.resumeTimer && !this.leaving()) {
      this.process(this.backlog.shift() as InboundFrame);
    }
    if (!this.resumeTimer && !this.stopped) this.ws.resume();
  }
}
