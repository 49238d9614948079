/** What the triggers (functions/, cli/) use of the sync: the engine and its two callers today. */
export * from './engine.js';
export * from './reconcile.js';
export * from './report.js';
export * from './sign-in.js';
export type { SyncScope } from './scope.js';
export { deltaRound, type DeltaRoundDependencies } from './delta-round.js';
export { deltaRoundLine } from './delta-report.js';
export type { DeltaRoundRecord } from './delta-model.js';
export * from './group-sync.js';
export { workShare, type ShareWork } from './fan-out-share.js';
