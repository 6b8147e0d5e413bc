import { checkServicePart } from './message-types.js';
import { errorText, idOf, nameField, ProtocolError, typeField, type RawOp } from './protocol.js';
import type { Session, SessionHost } from './session.js';

export const MAX_CLIENT_SERVICES = 64;
/** Service calls one client may have waiting for an answer. */
export const MAX_CALLS_IN_FLIGHT = 16;
const CLIENT_SERVICE_TIMEOUT_MS = 30_000;

/** A call routed to a service this client provides, waiting for its service_response. */
interface RoutedCall {
  caller: Session;
  callerId: string | undefined;
  service: string;
  type: string;
  timer: NodeJS.Timeout;
}

/**
 * One client's service calls, both ways: the calls it makes (to the server's handlers or routed
 * to the client providing the service; at most `MAX_CALLS_IN_FLIGHT` unanswered), and the
 * services it provides (advertise_service, unadvertise_service) with the calls routed to it,
 * each answered by its service_response or failed after 30 s. Requests and responses are
 * checked against the service type; every call is answered exactly once.
 */
export class ClientServices {
  /** Calls routed to this client's services: our id -> caller. */
  readonly pending = new Map<string, RoutedCall>();
  private nextCallId = 0;
  private callsInFlight = 0;
  private readonly provided = new Set<string>();

  constructor(
    private readonly host: SessionHost,
    private readonly owner: Session,
  ) {}

  advertise(op: RawOp): void {
    const service = nameField(op, 'service');
    const type = typeField(op, 'service');
    if (!this.provided.has(service) && this.provided.size >= MAX_CLIENT_SERVICES) throw new ProtocolError('advertise_service: too many services', idOf(op));
    this.host.addClientService(service, type, this.owner, idOf(op));
    this.provided.add(service);
  }

  unadvertise(op: RawOp): void {
    const service = nameField(op, 'service');
    if (!this.host.removeClientService(service, this.owner)) throw new ProtocolError(`unadvertise_service: ${service} is not provided by this client`, idOf(op));
    this.provided.delete(service);
  }

  /** A call this client made has been answered (or given up on). */
  callEnded(): void {
    this.callsInFlight = Math.max(0, this.callsInFlight - 1);
  }

  /** call_service from this client. */
  call(op: RawOp): void {
    const owner = this.owner;
    const id = idOf(op);
    let service: string;
    try {
      service = nameField(op, 'service');
    } catch (err) {
      owner.serviceResult(id, typeof op.service === 'string' ? op.service.slice(0, 256) : '', false, errorText(err));
      throw err;
    }
    const record = this.host.service(service);
    if (!record) {
      owner.serviceResult(id, service, false, `unknown service ${service}`);
      throw new ProtocolError(`call_service: unknown service ${service}`, id);
    }
    if (this.callsInFlight >= MAX_CALLS_IN_FLIGHT) {
      const message = `call_service ${service}: ${MAX_CALLS_IN_FLIGHT} calls of this client are still unanswered; wait for one`;
      owner.serviceResult(id, service, false, message);
      throw new ProtocolError(message, id);
    }
    let args: Record<string, unknown>;
    try {
      args = checkServicePart(record.type, 'request', op.args ?? {});
    } catch (err) {
      const message = `call_service ${service}: request does not match ${record.type}: ${errorText(err)}`;
      owner.serviceResult(id, service, false, message);
      throw new ProtocolError(message, id);
    }
    this.callsInFlight++;
    if (record.handler) {
      const handler = record.handler;
      // Through a promise, so that a handler that throws synchronously is answered the same way.
      Promise.resolve()
        .then(() => handler(args, { clientId: owner.id }))
        .then(
          (values) => {
            let checked: Record<string, unknown>;
            try {
              checked = checkServicePart(record.type, 'response', values);
            } catch (err) {
              owner.serviceResult(id, service, false, `internal: bad response: ${errorText(err)}`);
              return;
            }
            owner.serviceResult(id, service, true, checked);
          },
          (err: unknown) => owner.serviceResult(id, service, false, errorText(err)),
        )
        .finally(() => this.callEnded())
        .catch((err: unknown) => this.host.log(`client ${owner.id}: answering ${service} failed: ${errorText(err)}`));
      return;
    }
    (record.provider as Session).services.route(owner, id, service, record.type, args);
  }

  /** service_response from this client, to a call routed to it. */
  respond(op: RawOp): void {
    const id = idOf(op);
    const call = id === undefined ? undefined : this.pending.get(id);
    if (!call || id === undefined) throw new ProtocolError('service_response: no pending call with this id', id);
    this.pending.delete(id);
    clearTimeout(call.timer);
    call.caller.services.callEnded();
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

  /** The client is gone: calls routed to it fail, its services are withdrawn. */
  close(): void {
    for (const name of this.provided) this.host.removeClientService(name, this.owner);
    for (const [, call] of this.pending) {
      clearTimeout(call.timer);
      call.caller.services.callEnded();
      call.caller.serviceResult(call.callerId, call.service, false, 'the client providing the service disconnected');
    }
    this.pending.clear();
  }

  /** Passes a caller's checked request on to this client, which provides the service. */
  private route(caller: Session, callerId: string | undefined, service: string, type: string, args: Record<string, unknown>): void {
    const callId = `call:${this.owner.id}:${this.nextCallId++}`;
    const timer = setTimeout(() => {
      this.pending.delete(callId);
      caller.services.callEnded();
      caller.serviceResult(callerId, service, false, `the client providing ${service} did not answer within ${CLIENT_SERVICE_TIMEOUT_MS / 1000} s`);
    }, CLIENT_SERVICE_TIMEOUT_MS);
    this.pending.set(callId, { caller, callerId, service, type, timer });
    this.owner.sendOp({ op: 'call_service', id: callId, service, args });
  }
}
