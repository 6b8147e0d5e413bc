import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { advertiseRecordServices, describeStop, loadRosEnvConfig, parseRosEnvConfig, Recorder, RECORD_SERVICES, type RecorderEvent, type RecorderStatus, type RecordingConfig } from '../../bridge/index.js';
import { intOption, numberOption, progressWanted } from './options.js';

/** The live line: what a person recording needs to see at a glance. */
export function formatRecorderStatus(s: RecorderStatus): string {
  const head = s.state === 'recording' ? `REC ep${s.episode}` : s.state === 'unsaved' ? `UNSAVED ep${s.episode}` : `idle (next ep${s.episode})`;
  return `${head} | ${s.framesPerSecond.toFixed(1)} fps | dropped ${s.dropped} | keyframes ${s.keyframes} | ${s.seconds.toFixed(1)} s | ${s.frames} frames | skew ${s.maxSkewMs.toFixed(0)} ms | saved ${s.saved}`;
}

function formatEvent(task: string, e: RecorderEvent): string {
  switch (e.kind) {
    case 'started':
      return `recording ${task}/ep${e.episode}: "${e.goal}"`;
    case 'saved':
      return `saved ${task}/ep${e.episode}: ${e.entry.frameCount} frames, ${e.entry.keyframes.length} keyframes, ${e.seconds.toFixed(1)} s, dropped ${e.dropped}, max skew ${e.maxSkewMs.toFixed(0)} ms`;
    case 'discarded':
      return `discarded ${task}/ep${e.episode}: ${e.reason}`;
    case 'not-saved':
      return `NOT SAVED ${task}/ep${e.episode}: ${e.reason}`;
    case 'warning':
      return `warning: ${e.message}`;
  }
}

const KEYS_HELP = 'keys: [space] start  [enter] stop and save  [d] discard  [q] quit';
const LINES_HELP = 'commands on stdin, one a line: start [goal text] | stop | discard | quit';

export function registerRecord(program: Command): void {
  program
    .command('record')
    .description('record demonstrations from any rosbridge robot (a person moves the arm) into a dataset that `peract train` reads')
    .requiredOption('--rosbridge <url>', 'rosbridge WebSocket, e.g. ws://127.0.0.1:9090')
    .requiredOption('--task <name>', 'task name of the episodes (letters, digits, _ . -); need not be a simulator task')
    .requiredOption('--goal <text>', 'the language goal stored with each episode')
    .requiredOption('--out <dir>', 'dataset folder: created when missing, continued when it exists')
    .option('--config <file>', 'RosEnv configuration (topics, encodings, extrinsics; its "recording" object too); flags override it')
    .option('--token <token>', 'authentication token of the server')
    .option('--episodes <n>', 'quit after saving this many episodes')
    .option('--no-services', `do not advertise ${Object.values(RECORD_SERVICES).join(', ')}`)
    .option('--executed-topic <topic>', 'peract_msgs/Command topic announcing each action the robot starts (its collision flag is recorded); "none" for none', '')
    .option('--rest-seconds <s>', 'the arm is at rest once it stays still this long (default 0.3)')
    .option('--rest-radius <metres>', 'still = within this distance of where the rest began (default 0.004)')
    .option('--min-travel <metres>', 'a rest is a keyframe only after moving this far since the last keyframe (default 0.015)')
    .option('--gripper-hold <s>', 'a gripper change counts once it has held this long (default 0.15)')
    .option('--image-every <n>', "keep every n-th frame's images besides keyframes (default 10)")
    .option('--no-progress', 'no live line (events are still printed)')
    .addHelpText('after', `\nControls: on a terminal, ${KEYS_HELP}; otherwise ${LINES_HELP}.\nServices (std_srvs/Trigger): ${Object.values(RECORD_SERVICES).join(', ')}.`)
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const overrides = { url: String(o.rosbridge), ...(typeof o.token === 'string' ? { token: o.token } : {}) };
      const robot = typeof o.config === 'string' ? await loadRosEnvConfig(o.config, overrides) : parseRosEnvConfig(overrides, 'flags');
      const recording: Partial<RecordingConfig> = { keyframes: {} };
      const keyframes = recording.keyframes!;
      if (typeof o.executedTopic === 'string' && o.executedTopic !== '') recording.executedTopic = o.executedTopic === 'none' ? null : o.executedTopic;
      if (o.restSeconds !== undefined) keyframes.restSeconds = numberOption(o.restSeconds, '--rest-seconds');
      if (o.restRadius !== undefined) keyframes.restRadiusMetres = numberOption(o.restRadius, '--rest-radius');
      if (o.minTravel !== undefined) keyframes.minTravelMetres = numberOption(o.minTravel, '--min-travel');
      if (o.gripperHold !== undefined) keyframes.gripperHoldSeconds = numberOption(o.gripperHold, '--gripper-hold');
      if (o.imageEvery !== undefined) recording.imageEvery = intOption(o.imageEvery, '--image-every', 1);
      const maxEpisodes = o.episodes === undefined ? Infinity : intOption(o.episodes, '--episodes', 1);
      const task = String(o.task);
      const live = progressWanted(o.progress);
      const print = (line: string) => {
        if (live) process.stderr.write('\r\x1b[K');
        console.error(line);
      };
      let finish: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => (finish = resolve));
      const recorder = await Recorder.open({
        robot,
        out: String(o.out),
        task,
        goal: String(o.goal),
        recording,
        onEvent: (e) => {
          print(formatEvent(task, e));
          if (e.kind === 'saved' && recorder.status.saved >= maxEpisodes) finish();
        },
      });
      const services = o.services === false ? null : await advertiseRecordServices(recorder);
      const interactive = Boolean(process.stdin.isTTY);
      print(`connected to ${robot.url}; dataset ${recorder.dir}; ${interactive ? KEYS_HELP : LINES_HELP}${services ? `; services ${RECORD_SERVICES.start} ...` : ''}`);
      const act = (what: string, arg = ''): void => {
        try {
          if (what === 'start') recorder.start(arg || undefined);
          else if (what === 'stop') void recorder.stop().then((r) => (r.saved ? undefined : print(describeStop(task, r))), (err: Error) => print(`stop: ${err.message}`));
          else if (what === 'discard') {
            if (!recorder.discard()) print('nothing to discard');
          } else if (what === 'quit') finish();
          else if (what !== '') print(`unknown command "${what}"; ${LINES_HELP}`);
        } catch (err) {
          print(`${what}: ${(err as Error).message}`);
        }
      };
      let lines: ReturnType<typeof createInterface> | null = null;
      const onKey = (data: Buffer): void => {
        const k = data.toString();
        if (k === ' ' || k === 's') act('start');
        else if (k === '\r' || k === '\n' || k === 'e') act('stop');
        else if (k === 'd') act('discard');
        else if (k === 'q' || k === '\u0003') act('quit');
      };
      if (interactive) {
        process.stdin.setRawMode(true);
        process.stdin.on('data', onKey);
      } else {
        lines = createInterface({ input: process.stdin });
        lines.on('line', (line) => {
          const [what, ...rest] = line.trim().split(/\s+/);
          act(what ?? '', rest.join(' '));
        });
        lines.on('close', () => finish());
      }
      process.once('SIGINT', () => finish());
      const ticker = live ? setInterval(() => process.stderr.write(`\r\x1b[K${formatRecorderStatus(recorder.status)}`), 250) : null;
      await finished;
      if (ticker) clearInterval(ticker);
      if (interactive) {
        process.stdin.off('data', onKey);
        process.stdin.setRawMode(false);
        process.stdin.pause();
      }
      lines?.close();
      const left = recorder.status;
      if (left.state !== 'idle') print(`quitting: episode ${left.episode} (${left.state}) is discarded`);
      recorder.discard('quit while recording');
      await services?.close();
      await recorder.close();
      console.log(`recorded ${left.saved} episode${left.saved === 1 ? '' : 's'} into ${recorder.dir}`);
      if (maxEpisodes !== Infinity && left.saved < maxEpisodes) process.exitCode = 1;
    });
}
