import type { InvocationContext, Timer } from '@azure/functions';
import { getServices } from '../shared/services.js';
import { reconcile, runLine } from '../shared/sync/index.js';
import { timerFunction } from './registry.js';

export async function reconcileOnSchedule(timer: Timer, context: InvocationContext): Promise<void> {
  if (timer.isPastDue) context.warn('reconcile: this run is past due (the app was idle or busy)');
  const { record } = await reconcile(getServices(), { trigger: 'timer' });
  // `running`: the pass fanned out, and its last share logs and records how it ended.
  if (record.outcome === 'succeeded' || record.outcome === 'running') context.log(runLine(record));
  else context.warn(runLine(record));
}

export const reconcileTimerFunction = timerFunction({
  name: 'reconcile',
  schedule: '%SYNC_SCHEDULE%',
  runOnStartup: false,
  handler: reconcileOnSchedule,
});
