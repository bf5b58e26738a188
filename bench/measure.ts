// Shared timing for benchmarks: warm up, then time a fixed number of operations and report the
// rate. Benchmarks print figures and ratios to a baseline measured in the same run: these machines
// are noisy, so only ratios are comparable between runs.

export interface Measurement {
  name: string;
  opsPerSecond: number;
  microsPerOp: number;
}

export async function measure(name: string, operations: number, op: (i: number) => Promise<unknown>, concurrency = 1): Promise<Measurement> {
  const warmup = Math.max(10, Math.floor(operations / 10));
  await runAll(warmup, op, concurrency);
  const started = performance.now();
  await runAll(operations, op, concurrency);
  const seconds = (performance.now() - started) / 1000;
  return { name, opsPerSecond: operations / seconds, microsPerOp: (seconds * 1e6) / operations };
}

async function runAll(count: number, op: (i: number) => Promise<unknown>, concurrency: number): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await op(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

export interface Case {
  name: string;
  /** One operation; resolves with the milliseconds to count, or with nothing to count its whole duration. */
  op: (i: number) => Promise<number | void>;
}

/**
 * Times several cases in turn, one operation of each per round, so that the machine's slow and fast
 * moments fall on all of them alike: on these shared machines, a baseline timed a few seconds apart
 * from its rival moved their ratio by a third between runs. Sequential, after a warm-up of each.
 */
export async function measureInterleaved(cases: Case[], operations: number): Promise<Measurement[]> {
  const warmup = Math.max(10, Math.floor(operations / 10));
  const totals = cases.map(() => 0);
  for (let i = 0; i < warmup + operations; i++) {
    for (const [c, { op }] of cases.entries()) {
      const started = performance.now();
      const counted = await op(i);
      if (i >= warmup) totals[c]! += typeof counted === 'number' ? counted : performance.now() - started;
    }
  }
  return cases.map(({ name }, c) => ({ name, opsPerSecond: (operations * 1000) / totals[c]!, microsPerOp: (totals[c]! * 1000) / operations }));
}

export function report(title: string, baseline: Measurement, others: Measurement[]): void {
  const rows = [baseline, ...others].map((m) => ({
    case: m.name,
    'ops/s': Math.round(m.opsPerSecond),
    'µs/op': Math.round(m.microsPerOp),
    'time vs baseline': `${(m.microsPerOp / baseline.microsPerOp).toFixed(2)}x`,
  }));
  process.stdout.write(`\n${title}\n`);
  console.table(rows); // eslint-disable-line no-console
}
