import { spawn } from 'node:child_process';
import os from 'node:os';

/** One benchmark figure, printed as one JSON line on stdout (docs/design.md, Benchmarks). */
export interface Figure {
  name: string;
  median: number;
  unit: 'ms' | 's' | 'per_s' | 'per_min' | 'percent' | 'MB' | 'ratio' | 'nats' | 'count';
  runs?: number;
  min?: number;
  max?: number;
  [extra: string]: unknown;
}

export interface Benchmark {
  name: string;
  run: () => Promise<Figure[]> | Figure[];
}

export function emit(figure: Figure): void {
  process.stdout.write(`${JSON.stringify({ ...figure, machine: machineLabel() })}\n`);
}

export function machineLabel(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  return `${os.cpus().length}x ${cpu.trim()}`;
}

export function median(values: number[]): number {
  const s = values.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Times `fn` (synchronous or async) `runs` times after `warmup` calls; milliseconds. */
export async function timeIt(
  name: string,
  fn: () => unknown,
  { runs = 20, warmup = 3, extra = {} }: { runs?: number; warmup?: number; extra?: Record<string, unknown> } = {},
): Promise<Figure> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return { name, median: median(times), unit: 'ms', runs, min: Math.min(...times), max: Math.max(...times), ...extra };
}

/** Runs the `peract` command line of this clone (`bin/peract.ts`) as a child process; its stderr is shown, its stdout dropped. */
export function runPeract(args: string[]): Promise<void> {
  console.error(`peract ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/peract.ts', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`peract ${args[0]} exited with ${code}`))));
  });
}
