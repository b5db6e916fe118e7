// Lowering a shadow thread's CPU priority (plain JavaScript, for the worker script and the relay thread).
// The shadow is best effort: on Linux a thread of the shadow — the worker thread, every thread of a worker
// process (V8's own included; those made later inherit it), the relay thread in the control's process —
// lowers its own CPU priority once, before it does any shadow work, and reads back what the kernel applied
// (/proc/thread-self/stat) for the runner's stats:
// - `idle`: the SCHED_IDLE policy, set with util-linux `chrt --idle -p 0 <tid>` (a process: `--all-tasks`
//   of its pid; no Node API for it; any user may lower a thread of their own to it). By the kernel's policy
//   a waking normal thread (the control's) preempts a SCHED_IDLE one at once, and a core running only
//   SCHED_IDLE threads counts as idle when the kernel places a waking thread; how promptly depends on the
//   kernel (a PREEMPT_NONE one lets an idle thread finish its kernel-mode work first; one that packs tasks
//   onto fewer CPUs places differently): bench/sched-trace.probe.ts shows what one does. When chrt is
//   missing or fails, the thread falls back to nice 19 and says why;
// - `nice`: nice 19 (os.setPriority on the thread id): the lowest weight of the normal policy, which the
//   EEVDF scheduler does NOT preempt at once for a waking normal thread;
// - false: the process's priority.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import process from 'node:process';

const message = (error) => (error instanceof Error ? error.message : String(error));

/** What the kernel says this thread runs at (/proc/thread-self/stat: nice is field 19, the policy field 41). */
function appliedPriority() {
  const stat = readFileSync('/proc/thread-self/stat', 'utf8');
  // The fields after the command name (which may hold spaces and parentheses); the first of them is field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const nice = Number(fields[19 - 3]);
  const policy = Number(fields[41 - 3]);
  if (policy === 5) return { priority: 'idle', seen: 'SCHED_IDLE' };
  return { priority: nice > 0 ? 'nice' : 'normal', seen: `policy ${String(policy)}, nice ${String(nice)}` };
}

function chrtIdle(tid, allTasks) {
  const target = allTasks ? ['--all-tasks', '--idle', '-p', '0', String(process.pid)] : ['--idle', '-p', '0', String(tid)];
  return new Promise((resolve) => {
    execFile('chrt', target, { timeout: 5_000 }, (error, _stdout, stderr) => {
      resolve(error === null ? undefined : `chrt --idle failed (${(String(stderr).trim() || error.message).slice(0, 200)})`);
    });
  });
}

/** nice 19 for this thread, or for every thread of this process (Linux's setpriority takes one thread id). */
function niceAll(tid, allTasks) {
  const tids = allTasks ? readdirSync('/proc/self/task').map(Number) : [tid];
  for (const each of tids) setPriority(each, 19);
}

/**
 * Lowers this thread's priority (`allTasks`: every thread of this process) as `wanted` says; returns
 * `{ wanted, priority, tid?, detail? }`: what the kernel applied, and why when it is not what was wanted.
 */
export async function lowerPriority(wanted, allTasks) {
  let tid;
  try {
    tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return {
      wanted,
      priority: 'normal',
      ...(wanted === false ? {} : { detail: 'no /proc/thread-self (not Linux): the thread runs at the process priority' }),
    };
  }
  const problems = [];
  if (wanted === 'idle') {
    const failed = await chrtIdle(tid, allTasks);
    if (failed !== undefined) problems.push(`${failed}: fell back to nice 19`);
  }
  if (wanted === 'nice' || problems.length > 0) {
    try {
      niceAll(tid, allTasks);
    } catch (error) {
      problems.push(`nice 19 failed (${message(error)})`);
    }
  }
  let applied;
  try {
    applied = appliedPriority();
  } catch (error) {
    return { wanted, priority: 'normal', tid, detail: [...problems, `cannot read /proc/thread-self/stat (${message(error)})`].join('; ') };
  }
  if (problems.length === 0 && wanted !== false && applied.priority !== wanted)
    problems.push(`asked for ${wanted}, the kernel reports ${applied.seen}`);
  return { wanted, priority: applied.priority, tid, ...(problems.length === 0 ? {} : { detail: problems.join('; ') }) };
}
