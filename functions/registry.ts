/**
 * Every function is declared once, here-typed, and registered with the Functions host from the
 * same declaration. `functions/index.ts` lists them all: the host entry, the tests and the
 * local host read that one list (outside the Functions host, `app.http` registers nothing
 * and there is no way to ask it what was registered).
 */
import {
  app,
  type HttpHandler,
  type HttpMethod,
  type StorageQueueHandler,
  type TimerHandler,
} from '@azure/functions';

export type AuthLevel = 'anonymous' | 'function' | 'admin';

export interface HttpFunctionDefinition {
  readonly trigger: 'http';
  readonly name: string;
  /** Relative to the `/api` route prefix of host.json. */
  readonly route: string;
  readonly methods: readonly HttpMethod[];
  readonly authLevel: AuthLevel;
  readonly handler: HttpHandler;
}

export interface TimerFunctionDefinition {
  readonly trigger: 'timer';
  readonly name: string;
  /** NCRONTAB, or `%SETTING%` resolved from app settings by the host. */
  readonly schedule: string;
  readonly runOnStartup: boolean;
  readonly handler: TimerHandler;
}

export interface QueueFunctionDefinition {
  readonly trigger: 'queue';
  readonly name: string;
  readonly queueName: string;
  /** The app setting (prefix) naming the storage account, as the host resolves it. */
  readonly connection: string;
  readonly handler: StorageQueueHandler;
}

export type FunctionDefinition =
  HttpFunctionDefinition | TimerFunctionDefinition | QueueFunctionDefinition;

export function httpFunction(
  definition: Omit<HttpFunctionDefinition, 'trigger'>,
): HttpFunctionDefinition {
  app.http(definition.name, {
    route: definition.route,
    methods: [...definition.methods],
    authLevel: definition.authLevel,
    handler: definition.handler,
  });
  return { trigger: 'http', ...definition };
}

export function timerFunction(
  definition: Omit<TimerFunctionDefinition, 'trigger'>,
): TimerFunctionDefinition {
  app.timer(definition.name, {
    schedule: definition.schedule,
    runOnStartup: definition.runOnStartup,
    handler: definition.handler,
  });
  return { trigger: 'timer', ...definition };
}

export function queueFunction(
  definition: Omit<QueueFunctionDefinition, 'trigger'>,
): QueueFunctionDefinition {
  app.storageQueue(definition.name, {
    queueName: definition.queueName,
    connection: definition.connection,
    handler: definition.handler,
  });
  return { trigger: 'queue', ...definition };
}
