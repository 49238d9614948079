/** Change notifications: the webhook's work, the queue worker, the subscription's upkeep, status. */
export * from './client-state.js';
export * from './group-index.js';
export * from './payload.js';
export * from './receive.js';
export * from './status.js';
export * from './upkeep.js';
export * from './worker.js';
