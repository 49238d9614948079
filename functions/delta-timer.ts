import type { InvocationContext, Timer } from '@azure/functions';
import { getServices } from '../shared/services.js';
import { deltaRound, deltaRoundLine } from '../shared/sync/index.js';
import { timerFunction } from './registry.js';

export async function deltaOnSchedule(timer: Timer, context: InvocationContext): Promise<void> {
  if (timer.isPastDue) context.warn('delta: this round is past due (the app was idle or busy)');
  const record = await deltaRound(getServices());
  if (record.outcome === 'partial' || record.outcome === 'skipped') {
    context.warn(deltaRoundLine(record));
  } else context.log(deltaRoundLine(record));
}

export const deltaTimerFunction = timerFunction({
  name: 'delta',
  schedule: '%DELTA_SCHEDULE%',
  runOnStartup: false,
  handler: deltaOnSchedule,
});
