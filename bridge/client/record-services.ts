import { PeractError } from '../../core/index.js';
import type { Recorder, StopOutcome } from './recorder.js';
import { Ros, Service, type RosLike, type ServiceLike } from '../ros/roslib.js';

/**
 * The recorder's controls as std_srvs/Trigger services on the robot's rosbridge server, so a
 * teleoperation pedal, a script or the viewer can start, stop and discard episodes. They are
 * advertised over a connection of their own and again after it reconnects.
 */

export const RECORD_SERVICES = {
  start: '/peract/record/start',
  stop: '/peract/record/stop',
  discard: '/peract/record/discard',
} as const;

interface Trigger {
  success: boolean;
  message: string;
}

export interface RecordServices {
  close(): Promise<void>;
}

/** One line that says what a stop did. */
export function describeStop(task: string, outcome: StopOutcome): string {
  if (!outcome.saved) return `episode ${outcome.episode} ${outcome.kept ? '' : 'discarded, '}${outcome.reason}`;
  const e = outcome.entry;
  return `saved ${task}/ep${outcome.episode}: ${e.frameCount} frames, ${e.keyframes.length} keyframes`;
}

export async function advertiseRecordServices(recorder: Recorder): Promise<RecordServices> {
  const { url, token, connectTimeoutMs } = recorder.env.config;
  const ros: RosLike = new Ros({});
  let closing = false;
  let services: ServiceLike<Record<string, unknown>, Trigger>[] = [];
  const answer = async (fn: () => Promise<string> | string): Promise<Trigger> => {
    try {
      return { success: true, message: await fn() };
    } catch (err) {
      return { success: false, message: (err as Error).message };
    }
  };
  const advertise = (): void => {
    if (token) ros.authenticate(token, '', '', '', 0, '', 0);
    const make = (name: string, handler: () => Promise<Trigger>) => {
      const service = new Service<Record<string, unknown>, Trigger>({ ros, name, serviceType: 'std_srvs/Trigger' });
      void service.advertiseAsync(handler);
      return service;
    };
    services = [
      make(RECORD_SERVICES.start, () => answer(() => `recording ${recorder.task}/ep${recorder.start().episode}`)),
      make(RECORD_SERVICES.stop, async () => {
        try {
          const outcome = await recorder.stop();
          return { success: outcome.saved, message: describeStop(recorder.task, outcome) };
        } catch (err) {
          return { success: false, message: (err as Error).message };
        }
      }),
      make(RECORD_SERVICES.discard, () =>
        answer(() => {
          const d = recorder.discard();
          if (!d) throw new PeractError('INVALID_ARGUMENT', 'no episode to discard');
          return `discarded episode ${d.episode}`;
        }),
      ),
    ];
  };
  const opened = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new PeractError('CONNECTION', `could not connect to ${url} within ${connectTimeoutMs} ms to advertise the record services`)), connectTimeoutMs);
    ros.once('connection', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  ros.on('connection', advertise);
  ros.on('close', () => {
    if (closing) return;
    setTimeout(() => {
      if (!closing) ros.connect(url).catch(() => undefined);
    }, 500);
  });
  ros.on('error', () => undefined);
  await ros.connect(url).catch((err: Error) => {
    throw new PeractError('CONNECTION', `cannot connect to ${url}: ${err.message}`, { cause: err });
  });
  await opened;
  return {
    async close() {
      closing = true;
      await Promise.all(services.map((s) => s.unadvertise().catch(() => undefined)));
      ros.close();
    },
  };
}
