/**
 * How long a process's threads waited for a CPU while runnable (Linux /proc/<pid>/task/<tid>/schedstat,
 * second field, in ns): on a shared machine this is the part of a latency that is neither the
 * process's work nor its peers', but the scheduler's queue. 0 where schedstat is not available.
 */
import { readdirSync, readFileSync } from 'node:fs';

export function runQueueWaitSeconds(pid: number): number {
  let ns = 0;
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  for (const tid of tasks) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1] ?? 0);
    } catch {
      // the thread ended meanwhile
    }
  }
  return ns / 1e9;
}
