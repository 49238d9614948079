/** The `group-sync` Storage Queue: its client, its messages, and how they are sent. */
export * from './connection.js';
export * from './group-sync-queue.js';
export * from './messages.js';
