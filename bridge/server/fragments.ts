import { decodeJsonText } from './wire.js';
import { errorText, idOf, optionalNumber, ProtocolError, type RawOp } from './protocol.js';

/** Unfinished fragment sets one client may have at a time. */
export const MAX_FRAGMENT_SETS = 8;

interface FragmentSet {
  total: number;
  parts: (string | undefined)[];
  received: number;
  bytes: number;
}

export interface FragmentLimits {
  /** Largest reassembled message. */
  maxMessageBytes: number;
  /** Nesting of the reassembled JSON. */
  maxNestingDepth: number;
}

/**
 * Reassembles a client's rosbridge `fragment` ops into the message they carry. Sets are
 * capped in number and in reassembled size; a repeated part is ignored, a set whose `total`
 * changes is dropped, and a fragment may not carry another fragment.
 */
export class FragmentReassembly {
  private readonly sets = new Map<string, FragmentSet>();

  constructor(private readonly limits: FragmentLimits) {}

  /** Unfinished sets. */
  get size(): number {
    return this.sets.size;
  }

  clear(): void {
    this.sets.clear();
  }

  /** Adds one fragment op; returns the whole message once its last part has arrived, else null. */
  add(op: RawOp): { message: unknown } | null {
    const id = idOf(op);
    if (id === undefined) throw new ProtocolError('fragment: "id" must be a string');
    const num = optionalNumber(op, 'num', { integer: true, max: 1_000_000 });
    const total = optionalNumber(op, 'total', { integer: true, min: 1, max: 1_000_000 });
    if (num === undefined || total === undefined || num >= total) throw new ProtocolError('fragment: needs integer "num" < "total"', id);
    if (typeof op.data !== 'string') throw new ProtocolError('fragment: "data" must be a string', id);
    let set = this.sets.get(id);
    if (!set) {
      if (this.sets.size >= MAX_FRAGMENT_SETS) throw new ProtocolError(`fragment: too many unfinished fragment sets (limit ${MAX_FRAGMENT_SETS})`, id);
      set = { total, parts: [], received: 0, bytes: 0 };
      this.sets.set(id, set);
    }
    if (set.total !== total) {
      this.sets.delete(id);
      throw new ProtocolError('fragment: "total" changed within one message', id);
    }
    if (set.parts[num] !== undefined) return null;
    set.bytes += op.data.length;
    if (set.bytes > this.limits.maxMessageBytes) {
      this.sets.delete(id);
      throw new ProtocolError(`fragment: reassembled message exceeds the limit of ${this.limits.maxMessageBytes} bytes`, id);
    }
    set.parts[num] = op.data;
    set.received++;
    if (set.received < set.total) return null;
    this.sets.delete(id);
    let whole: unknown;
    try {
      whole = decodeJsonText(set.parts.join(''), this.limits.maxNestingDepth);
    } catch (err) {
      throw new ProtocolError(`fragment: the fragments do not form valid JSON (${errorText(err).slice(0, 80)})`, id);
    }
    if (whole !== null && typeof whole === 'object' && (whole as { op?: unknown }).op === 'fragment') throw new ProtocolError('fragment: a fragment may not contain a fragment', id);
    return { message: whole };
  }
}
