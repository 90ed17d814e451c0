import { readdirSync, readFileSync } from 'node:fs';

/** The p-th percentile (0-100) of samples, nearest-rank. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/**
 * One process of a tree: what it runs, its memory and the CPU time it has used. Memory is the proportional set size
 * (shared pages divided among the processes sharing them), so PostgreSQL's shared buffers count once, not per backend.
 */
export interface ProcessSample {
  pid: number;
  name: string;
  pssMiB: number;
  cpuMs: number;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

function nameOf(args: string[], isRoot: boolean): string {
  if (isRoot) return 'bench process (gateway, simulators, load)';
  if (args.some((a) => a.endsWith('gcloud.py'))) return 'gcloud launchers';
  const target = args.find((a) => a.startsWith('--target='));
  if (target) return target.slice('--target='.length);
  const known = args.find((a) => /emulator|maildev/.test(a));
  if (known) return known.split('/').pop()!.replace(/-[\d.]+-all\.jar$|\.jar$/, '');
  return args[0]!.includes('postgres') ? 'postgres' : args[0]!.split('/').pop()!;
}

/** Samples a process and all its descendants from /proc. */
export function processTree(rootPid: number): ProcessSample[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      parent.set(Number(entry), Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]));
    } catch {
      // the process ended while we looked
    }
  }
  const inTree = (pid: number): boolean => pid === rootPid || (parent.has(pid) && pid > 1 && inTree(parent.get(pid)!));
  const samples: ProcessSample[] = [];
  for (const pid of parent.keys()) {
    if (!inTree(pid)) continue;
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      samples.push({
        pid,
        name: nameOf(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'), pid === rootPid),
        pssMiB: Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0) / 1024,
        cpuMs: (Number(fields[11]) + Number(fields[12])) * TICK_MS,
      });
    } catch {
      // gone
    }
  }
  return samples;
}

/** Resident memory of one process now and at its peak (MiB), and its proportional share (PSS). */
export function memoryOf(pid: number): { rssMiB: number; peakRssMiB: number; pssMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kib = (text: string, field: RegExp) => Number(field.exec(text)?.[1] ?? 0);
  return {
    rssMiB: Math.round(kib(status, /^VmRSS:\s+(\d+)/m) / 1024),
    peakRssMiB: Math.round(kib(status, /^VmHWM:\s+(\d+)/m) / 1024),
    pssMiB: Math.round(kib(rollup, /^Pss:\s+(\d+)/m) / 1024),
  };
}

/** Adds up samples by process name. */
export function byName(samples: readonly ProcessSample[], value: (s: ProcessSample) => number): Map<string, number> {
  const totals = new Map<string, number>();
  for (const s of samples) totals.set(s.name, (totals.get(s.name) ?? 0) + value(s));
  return totals;
}

/** CPU milliseconds each process name used between two samples, per unit of work. */
export function cpuPer(before: readonly ProcessSample[], after: readonly ProcessSample[], units: number): Map<string, number> {
  const start = new Map(before.map((s) => [s.pid, s.cpuMs]));
  const used = byName(after, (s) => s.cpuMs - (start.get(s.pid) ?? 0));
  return new Map([...used].map(([name, ms]) => [name, Math.round((ms / units) * 10) / 10]));
}
