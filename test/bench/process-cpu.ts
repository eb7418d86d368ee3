import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

const ticksPerSecond = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** The fields of /proc/<pid>/stat after the command name (field 2, which may hold spaces): field 3 is index 0. */
function statFields(pid: number | string): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** CPU seconds (user + system, fields 14 and 15 in clock ticks) of stat fields. */
function cpuSecondsOf(fields: readonly string[]): number {
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** CPU seconds (user + system) a process has used. */
export function processCpuSeconds(pid: number): number {
  return cpuSecondsOf(statFields(pid));
}

/** CPU seconds (user + system) of every live process in a process group (field 5). */
export function processGroupCpuSeconds(pgid: number): number {
  let seconds = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fields: string[];
    try {
      fields = statFields(entry);
    } catch {
      continue; // exited since the listing
    }
    if (Number(fields[2]) === pgid) seconds += cpuSecondsOf(fields);
  }
  return seconds;
}

/** The 1, 5 and 15-minute load averages: the machine's cores are shared, and figures move with them. */
export function loadAverage(): string {
  return loadavg().map((l) => l.toFixed(2)).join(' ');
}
