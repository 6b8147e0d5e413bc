import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PeractError } from '../../core/index.js';

/**
 * Starts the worker module `name` (without extension) that lives next to `callerUrl`
 * (the caller's import.meta.url), and waits for its `{ ready: true }` message.
 */
export async function startWorker(callerUrl: string, name: string, workerData: unknown, what: string): Promise<Worker> {
  const here = fileURLToPath(callerUrl);
  let worker: Worker;
  if (here.endsWith('.ts')) {
    // Under tsx (development, tests) the worker is TypeScript too: register tsx's loader in the
    // worker before importing it (a worker's execArgv does not carry `--import tsx`).
    const entry = pathToFileURL(join(dirname(here), `${name}.ts`)).href;
    const code = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(entry)});`;
    worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), { workerData });
  } else {
    worker = new Worker(join(dirname(here), `${name}.js`), { workerData });
  }
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(new PeractError('INTERNAL', `${what} failed to start: ${err.message}`, { cause: err }));
    worker.once('error', onError);
    worker.once('message', (msg: { ready?: boolean }) => {
      worker.off('error', onError);
      if (msg.ready) resolve();
      else reject(new PeractError('INTERNAL', `${what} sent something before it was ready`));
    });
  });
  return worker;
}
