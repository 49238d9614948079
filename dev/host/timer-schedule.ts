/**
 * Fires a callback at each occurrence of an NCRONTAB schedule, as the Functions host does.
 * Node clamps a `setTimeout` longer than 2^31-1 ms (24.8 days) to 1 ms, so a monthly or
 * yearly schedule would fire at once and then loop: long waits are re-armed in steps.
 */
import { nextOccurrence, type NcrontabSchedule } from '../../shared/config/ncrontab.js';

export const LONGEST_TIMEOUT_MS = 2 ** 31 - 1;

export interface ScheduledTimer {
  /** When it fires next. */
  readonly next: () => Date;
  readonly cancel: () => void;
}

/**
 * `fire` gets the occurrence after the one firing (the host's `scheduleStatus.next`); the next
 * wait is armed only once it settles, so a slow run never overlaps itself.
 */
export function scheduleTimer(
  schedule: NcrontabSchedule,
  fire: (following: Date) => Promise<void>,
): ScheduledTimer {
  let handle: NodeJS.Timeout | undefined;
  let cancelled = false;
  let due = nextOccurrence(schedule, new Date());

  const wait = () => {
    if (cancelled) return;
    const remaining = due.getTime() - Date.now();
    if (remaining > LONGEST_TIMEOUT_MS) {
      handle = setTimeout(wait, LONGEST_TIMEOUT_MS);
      return;
    }
    handle = setTimeout(
      () => {
        const following = nextOccurrence(schedule, due);
        void fire(following).finally(() => {
          due = nextOccurrence(schedule, new Date(Math.max(Date.now(), due.getTime())));
          wait();
        });
      },
      Math.max(0, remaining),
    );
  };
  wait();

  return {
    next: () => due,
    cancel: () => {
      cancelled = true;
      if (handle !== undefined) clearTimeout(handle);
    },
  };
}
