/**
 * The queue trigger's behaviour as host.json's `extensions.queues` sets it, with the Functions
 * host's documented defaults for what it leaves out.
 */
import { readFileSync } from 'node:fs';

export interface QueueTriggerSettings {
  /** Attempts before a message moves to `<queue>-poison`. */
  readonly maxDequeueCount: number;
  /** How long a failed message stays invisible before it is tried again. */
  readonly visibilityTimeoutMs: number;
  /** Messages fetched (and run in parallel) per poll. */
  readonly batchSize: number;
  /** Longest wait between polls of an empty queue. */
  readonly maxPollingIntervalMs: number;
  readonly messageEncoding: 'base64' | 'none';
}

export const QUEUE_DEFAULTS: QueueTriggerSettings = {
  maxDequeueCount: 5,
  visibilityTimeoutMs: 0,
  batchSize: 16,
  maxPollingIntervalMs: 60_000,
  messageEncoding: 'base64',
};

/** `hh:mm:ss` (optionally with a day part `d.hh:mm:ss`) in milliseconds. */
export function timeSpanMs(value: string): number | undefined {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(value);
  if (match === null) return undefined;
  const [, days = '0', hours = '0', minutes = '0', seconds = '0', fraction = '0'] = match;
  return (
    ((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 +
    Number(seconds) * 1000 +
    Number(fraction.padEnd(3, '0'))
  );
}

export function queueSettingsOf(hostJson: unknown): QueueTriggerSettings {
  const extensions = (hostJson as { extensions?: { queues?: Record<string, unknown> } } | null)
    ?.extensions;
  const queues = extensions?.queues ?? {};
  const number = (name: string, fallback: number) =>
    typeof queues[name] === 'number' ? queues[name] : fallback;
  const span = (name: string, fallback: number) =>
    typeof queues[name] === 'string' ? (timeSpanMs(queues[name]) ?? fallback) : fallback;
  return {
    maxDequeueCount: number('maxDequeueCount', QUEUE_DEFAULTS.maxDequeueCount),
    visibilityTimeoutMs: span('visibilityTimeout', QUEUE_DEFAULTS.visibilityTimeoutMs),
    batchSize: number('batchSize', QUEUE_DEFAULTS.batchSize),
    maxPollingIntervalMs: span('maxPollingInterval', QUEUE_DEFAULTS.maxPollingIntervalMs),
    messageEncoding: queues.messageEncoding === 'none' ? 'none' : 'base64',
  };
}

export function readHostQueueSettings(hostJsonPath: string): QueueTriggerSettings {
  return queueSettingsOf(JSON.parse(readFileSync(hostJsonPath, 'utf8')));
}
