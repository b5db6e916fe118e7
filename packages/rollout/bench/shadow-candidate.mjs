// The bench's shadow candidate for the worker thread (plain JavaScript: the worker loads it with Node's
// own loader): like the bench's control, it awaits a 1 ms "model call", then does `workUs` of CPU work.
import process from 'node:process';
import { setTimeout as delay } from 'node:timers/promises';

function work(us) {
  const end = process.hrtime.bigint() + BigInt(us * 1000);
  let x = 0;
  while (process.hrtime.bigint() < end) x++;
  return x;
}

export default function candidate(options) {
  return async (input) => {
    if (options.delayMs !== 0) await delay(options.delayMs ?? 1);
    work(options.workUs);
    return `answer ${input}`;
  };
}
