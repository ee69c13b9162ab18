/**
 * CPU time of the processes a bench row runs on, for figures that hold up on a shared machine:
 * wall-clock throughput moves with whatever else runs there, the CPU each delivery costs barely
 * does. A server process reports its own `process.cpuUsage()` and the CPU of the PostgreSQL
 * backends its pool talks to (`/proc/<pid>/stat` of each connection's backend pid); the bench
 * reads the Temporal dev server's the same way.
 */
import fs from 'node:fs';

/** Linux reports /proc times in USER_HZ ticks, which is 100 per second on every architecture. */
const MS_PER_TICK = 10;

/** User + system CPU of process `pid` in ms, or undefined when it is gone (or not on Linux). */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), from field 3 on: utime is 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
  } catch {
    return undefined;
  }
}

/** Cumulative CPU of a server process and of the database backends it used, as reported to the bench. */
export interface CpuCounters {
  /** This process, user + system, ms. */
  processMs: number;
  /** Of which system (kernel) time, ms. */
  systemMs: number;
  /** Every PostgreSQL backend this process's pool has used, ms (0 without PostgreSQL). */
  backendsMs: number;
  /** How many backends that is. */
  backends: number;
}

/**
 * Keeps the latest CPU figure of every backend pid `pids()` has named (polled, so a connection
 * the pool closes mid-row still counts up to its last poll) and reports the cumulative counters.
 */
export function createCpuCounters(pids: () => number[] = () => []): { read(): CpuCounters; stop(): void } {
  const latest = new Map<number, number>();
  const poll = () => {
    for (const pid of pids()) {
      const ms = processCpuMs(pid);
      if (ms !== undefined) latest.set(pid, ms);
    }
  };
  const timer = setInterval(poll, 250);
  timer.unref();
  return {
    read() {
      poll();
      const usage = process.cpuUsage();
      let backendsMs = 0;
      for (const ms of latest.values()) backendsMs += ms;
      return {
        processMs: (usage.user + usage.system) / 1000,
        systemMs: usage.system / 1000,
        backendsMs,
        backends: latest.size,
      };
    },
    stop: () => clearInterval(timer),
  };
}
