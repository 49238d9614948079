export * from './connection.js';
export * from './entities.js';
export * from './keys.js';
export * from './sync-store.js';
export * from './table-errors.js';
export * from './table-store.js';
export * as writes from './writes.js';
