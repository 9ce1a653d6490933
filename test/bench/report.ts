/**
 * The benchmark's results: rows recorded as measurements finish (also logged as they come), and
 * the table printed at the end, with the machine and how busy it was, since every figure here
 * depends on it.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

export interface Row {
  section: string;
  what: string;
  value: string;
  note: string;
}

const rows: Row[] = [];

export const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function record(section: string, what: string, value: string, note = ''): void {
  rows.push({ section, what, value, note });
  log(`${section} | ${what}: ${value}${note ? ` (${note})` : ''}`);
}

/** A measurement that could not be made: reported with its reason, and the run goes on. */
export function failed(section: string, what: string, e: unknown): void {
  const reason = e instanceof Error ? e.message.split('\n')[0]! : String(e);
  record(section, what, 'FAILED', reason.slice(0, 200));
}

export const anyRows = () => rows.length > 0;

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
export const ms = (v: number) => (Number.isFinite(v) ? `${Math.round(v)} ms` : 'n/a');
export const pct = (v: number) => (Number.isFinite(v) ? `${v.toFixed(v < 10 ? 2 : 1)}%` : 'n/a');

/** All cores' busy time from /proc/stat, in ticks: [busy, total]. */
function hostTicks(): [number, number] {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  const total = f.reduce((a, b) => a + b, 0);
  return [total - idle, total];
}

/** Starts watching the whole machine; the returned function says how busy it was since, for the notes. */
export function hostLoad(): () => string {
  const [b0, t0] = hostTicks();
  return () => {
    const [b1, t1] = hostTicks();
    const busy = t1 > t0 ? ((b1 - b0) / (t1 - t0)) * 100 : NaN;
    return `machine ${busy.toFixed(0)}% busy, load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`;
  };
}

export function machine(): string {
  const model = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown CPU';
  const memGb = Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0) / 1024 / 1024;
  return `${cpus().length} cores, ${model}, ${memGb.toFixed(1)} GB RAM, Node ${process.version}`;
}

export function printTable(header: string): void {
  const w = [8, 56, 28];
  const line = (a: string, b: string, c: string, d: string) => `${a.padEnd(w[0]!)} | ${b.padEnd(w[1]!)} | ${c.padEnd(w[2]!)} | ${d}`;
  const out = ['', '='.repeat(140), header, '='.repeat(140), line('path', 'measure', 'value', 'note'), '-'.repeat(140)];
  for (const r of rows) out.push(line(r.section, r.what, r.value, r.note));
  out.push('='.repeat(140), '');
  process.stdout.write(out.join('\n') + '\n');
}
