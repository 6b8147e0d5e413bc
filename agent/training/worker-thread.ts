import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parentPort, Worker } from 'node:worker_threads';
import { PeractError, type PeractErrorCode } from '../../core/index.js';

/**
 * The worker threads of training (the data worker, the gradient replicas): starting one, its
 * side answering requests, and the caller's side matching the answers to the requests by id.
 */

/** A worker's answer: the handler's reply fields, or the error's message and PeractError code. */
interface WorkerReply {
  id: number;
  error?: string;
  code?: PeractErrorCode;
}

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

/**
 * In a worker module: answers each `{ id, ... }` request with `handle`'s reply (its buffers
 * transferred) or with the error's message and code, then tells `startWorker` it is ready.
 * `oneAtATime` queues the requests (a handler that reuses its buffers).
 */
export function serveRequests<Request extends { id: number }>(
  module: string,
  handle: (request: Request) => Promise<{ reply: object; transfer?: ArrayBuffer[] }>,
  options: { oneAtATime?: boolean } = {},
): void {
  const port = parentPort;
  if (!port) throw new Error(`${module} must run as a worker thread`);
  const answer = async (request: Request): Promise<void> => {
    try {
      const { reply, transfer } = await handle(request);
      port.postMessage({ ...reply, id: request.id }, transfer ?? []);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      port.postMessage({ id: request.id, error: err instanceof Error ? err.message : String(err), code: typeof code === 'string' ? code : 'INTERNAL' });
    }
  };
  let chain: Promise<void> = Promise.resolve();
  port.on('message', (request: Request) => {
    if (options.oneAtATime) chain = chain.then(() => answer(request));
    else void answer(request);
  });
  port.postMessage({ ready: true });
}

/**
 * The caller's side: the requests sent to workers and not yet answered, by id. An answer with
 * an error rejects its request with the worker's code; a worker that crashes rejects them all.
 */
export class PendingRequests<Result> {
  private readonly waiting = new Map<number, { resolve: (r: Result) => void; reject: (e: Error) => void }>();

  /** `result` picks the answer's result out of a reply, or undefined when it has none. */
  constructor(
    private readonly what: string,
    private readonly result: (reply: WorkerReply & Record<string, unknown>) => Result | undefined,
  ) {}

  /** Routes `worker`'s answers and crash to the requests waiting here. */
  listen(worker: Worker): void {
    worker.on('message', (msg: WorkerReply & Record<string, unknown>) => {
      const r = this.waiting.get(msg.id);
      if (!r) return;
      this.waiting.delete(msg.id);
      const result = this.result(msg);
      if (result !== undefined) r.resolve(result);
      // The worker's own error code (a corrupt dataset file stays CORRUPT_FILE, naming the file).
      else r.reject(new PeractError(msg.code ?? 'INTERNAL', `${this.what}: ${msg.error ?? 'failed'}`));
    });
    worker.on('error', (err) => {
      for (const r of this.waiting.values()) r.reject(new PeractError('INTERNAL', `${this.what} crashed: ${err.message}`, { cause: err }));
      this.waiting.clear();
    });
  }

  /** The answer to request `id` (send the request after calling this). */
  expect(id: number): Promise<Result> {
    return new Promise<Result>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
  }
}
