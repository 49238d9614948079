export * from './connection.js';
export * from './keys.js';
export * from './repository.js';
export { Tables } from './tables.js';
export * from './table-errors.js';
