import { readdirSync, readFileSync } from 'node:fs';

/** The p-th percentile (0-100) of samples, nearest-rank. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Resident memory (MiB) of a process and all its descendants, read from /proc. */
export function treeRssMiB(rootPid: number, options: { includeRoot: boolean }): { mib: number; processes: number } {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const ppid = Number(/PPid:\s+(\d+)/.exec(status)?.[1]);
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      rss.set(Number(entry), kb);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  let kb = 0;
  let processes = 0;
  const visit = (pid: number, isRoot: boolean) => {
    if (!isRoot || options.includeRoot) {
      kb += rss.get(pid) ?? 0;
      processes++;
    }
    for (const child of children.get(pid) ?? []) visit(child, false);
  };
  visit(rootPid, true);
  return { mib: Math.round(kb / 1024), processes };
}

/** Resident memory (MiB) of each descendant of a process, largest first, named by what it runs. */
export function processRss(rootPid: number): { name: string; mib: number }[] {
  const byParent = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]);
      byParent.set(ppid, [...(byParent.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone
    }
  }
  const out: { name: string; mib: number }[] = [];
  const visit = (pid: number) => {
    try {
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const name = args.find((a) => a.startsWith('--target='))?.slice(9) ?? args.find((a) => /emulator|maildev|postgres/.test(a))?.split('/').pop() ?? args[0]!.split('/').pop()!;
      out.push({ name, mib: Math.round(kb / 1024) });
    } catch {
      // gone
    }
    for (const child of byParent.get(pid) ?? []) visit(child);
  };
  visit(rootPid);
  return out.sort((a, b) => b.mib - a.mib);
}
