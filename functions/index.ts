/**
 * The one list of this app's functions. Importing a function's module registers it with the
 * Functions host; this list is what the tests and the local host read.
 */
import { deltaTimerFunction } from './delta-timer.js';
import { graphNotificationsFunction } from './graph-notifications.js';
import { groupSyncWorkerFunction } from './group-sync-worker.js';
import { consoleHomeFunction } from './console.js';
import {
  operatorSyncStatusFunction,
  operatorTeamsFunction,
  operatorUsersFunction,
} from './console-api.js';
import { consoleHeldFunction } from './console-held.js';
import { consoleReleaseFunction } from './console-release.js';
import { consoleRunsFunction } from './console-runs.js';
import { consoleSignOutFunction } from './console-sign-out.js';
import { consoleStyleFunction } from './console-style.js';
import { consoleTeamsFunction } from './console-teams.js';
import { consoleUsersFunction } from './console-users.js';
import { healthFunction } from './health.js';
import { reconcileTimerFunction } from './reconcile-timer.js';
import { ssoCallbackFunction } from './sso-callback.js';
import { ssoLoginFunction } from './sso-login.js';
import { subscriptionUpkeepFunction } from './subscription-upkeep.js';
import { syncMeFunction } from './sync-me.js';
import { syncStatusFunction } from './sync-status.js';
import { teamsFunction } from './teams.js';
import { usersFunction } from './users.js';
import type { FunctionDefinition } from './registry.js';

export const functionDefinitions: readonly FunctionDefinition[] = [
  healthFunction,
  syncMeFunction,
  ssoLoginFunction,
  ssoCallbackFunction,
  syncStatusFunction,
  reconcileTimerFunction,
  deltaTimerFunction,
  teamsFunction,
  usersFunction,
  graphNotificationsFunction,
  groupSyncWorkerFunction,
  subscriptionUpkeepFunction,
  // The operator console and the read API for admins' bearer tokens.
  consoleHomeFunction,
  consoleTeamsFunction,
  consoleUsersFunction,
  consoleRunsFunction,
  consoleHeldFunction,
  consoleReleaseFunction,
  consoleSignOutFunction,
  consoleStyleFunction,
  operatorTeamsFunction,
  operatorUsersFunction,
  operatorSyncStatusFunction,
];
