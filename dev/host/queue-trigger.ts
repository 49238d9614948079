/**
 * A Storage Queue trigger as the Functions host runs one: it polls the queue (backing off to
 * `maxPollingInterval` while it is empty), hands each message to the function decoded as the
 * host does (base64, then JSON when it parses), deletes it when the function succeeds, makes
 * it visible again after `visibilityTimeout` when it fails, and moves it to `<queue>-poison`
 * once it has failed `maxDequeueCount` times.
 */
import type { QueueClient } from '@azure/storage-queue';
import type { QueueFunctionDefinition } from '../../functions/registry.js';
import { invocationContext, type HostLog } from './invocation.js';
import type { QueueTriggerSettings } from './queue-settings.js';

/** How long a message being worked on stays invisible (the real host renews; runs here are short). */
const LOCK_SECONDS = 300;
const FIRST_POLL_DELAY_MS = 100;

export interface RunningQueueTrigger {
  stop(): Promise<void>;
}

export function decodeQueueMessage(
  text: string,
  encoding: QueueTriggerSettings['messageEncoding'],
): unknown {
  const decoded = encoding === 'base64' ? Buffer.from(text, 'base64').toString('utf8') : text;
  try {
    return JSON.parse(decoded);
  } catch {
    return decoded;
  }
}

export function startQueueTrigger(
  definition: QueueFunctionDefinition,
  clientFor: (queueName: string) => QueueClient,
  settings: QueueTriggerSettings,
  log: HostLog,
  pollMaxMs = settings.maxPollingIntervalMs,
): RunningQueueTrigger {
  const queue = clientFor(definition.queueName);
  const poison = clientFor(`${definition.queueName}-poison`);
  const run = { stopped: false };
  let wake: (() => void) | undefined;
  let failing = false;

  async function handle(message: {
    messageId: string;
    popReceipt: string;
    messageText: string;
    dequeueCount: number;
    insertedOn: Date;
    expiresOn: Date;
  }) {
    const context = invocationContext(definition.name, log, {
      id: message.messageId,
      dequeueCount: message.dequeueCount,
      popReceipt: message.popReceipt,
      insertionTime: message.insertedOn.toISOString(),
      expirationTime: message.expiresOn.toISOString(),
    });
    try {
      await definition.handler(
        decodeQueueMessage(message.messageText, settings.messageEncoding),
        context,
      );
      await queue.deleteMessage(message.messageId, message.popReceipt);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (message.dequeueCount >= settings.maxDequeueCount) {
        log(
          'error',
          `[${definition.name}] failed ${message.dequeueCount} times, moved to ${definition.queueName}-poison: ${reason}`,
        );
        await poison.sendMessage(message.messageText);
        await queue.deleteMessage(message.messageId, message.popReceipt);
      } else {
        log('warn', `[${definition.name}] failed (attempt ${message.dequeueCount}): ${reason}`);
        await queue.updateMessage(
          message.messageId,
          message.popReceipt,
          undefined,
          Math.round(settings.visibilityTimeoutMs / 1000),
        );
      }
    }
  }

  const loop = (async () => {
    await Promise.all([queue.createIfNotExists(), poison.createIfNotExists()]).catch(
      () => undefined,
    );
    let delay = FIRST_POLL_DELAY_MS;
    while (!run.stopped) {
      let received = 0;
      try {
        const { receivedMessageItems } = await queue.receiveMessages({
          numberOfMessages: Math.min(32, settings.batchSize),
          visibilityTimeout: LOCK_SECONDS,
        });
        received = receivedMessageItems.length;
        await Promise.all(receivedMessageItems.map((item) => handle(item).catch(() => undefined)));
        if (failing)
          log('info', `[${definition.name}] queue ${definition.queueName} reachable again`);
        failing = false;
      } catch (error) {
        // Said once per outage, not once per poll.
        if (!failing) {
          log(
            'warn',
            `[${definition.name}] cannot poll queue ${definition.queueName}: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
        failing = true;
      }
      if (received > 0) {
        delay = FIRST_POLL_DELAY_MS;
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      delay = Math.min(pollMaxMs, delay * 2);
    }
  })();

  return {
    async stop() {
      run.stopped = true;
      wake?.();
      await loop;
    },
  };
}
