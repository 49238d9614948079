/**
 * The webhook's and worker's counters (SyncState `notifications`/`counts:<n>`): concurrent
 * updates from many webhook calls at once all count, and the single `counts` row of before the
 * shards still adds its totals.
 */
import { describe, expect, it } from 'vitest';
import { createRepository } from '../../shared/store/index.js';
import { testSettings } from '../support/services.js';
import { tablesOf, uniqueTablePrefix } from '../support/tables.js';

function repositoryOf(label: string) {
  const settings = testSettings({ TABLE_PREFIX: uniqueTablePrefix(label) });
  return { settings, repository: createRepository(tablesOf({ settings })) };
}

describe('notification counters', () => {
  it('count every one of 16 concurrent updates', async () => {
    const { repository } = repositoryOf('NtCount');
    const at = new Date('2026-12-02T03:00:00.000Z');
    await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        repository.notifications.count(
          { requests: 1, received: 2 },
          { field: 'lastNotificationAt', time: new Date(at.getTime() + i * 1000) },
        ),
      ),
    );
    expect(await repository.notifications.readCounts()).toMatchObject({
      requests: 16,
      received: 32,
      lastNotificationAt: '2026-12-02T03:00:15.000Z',
    });
  });

  it('add the totals of the single counts row written before the shards', async () => {
    const { settings, repository } = repositoryOf('NtCount');
    const state = await tablesOf({ settings }).table('state');
    await state.upsertEntity({
      partitionKey: 'notifications',
      rowKey: 'counts',
      requests: 7,
      groupsSynced: 3,
      lastGroupSyncAt: '2026-12-01T00:00:00.000Z',
    });
    await repository.notifications.count({ requests: 1 });
    expect(await repository.notifications.readCounts()).toMatchObject({
      requests: 8,
      groupsSynced: 3,
      lastGroupSyncAt: '2026-12-01T00:00:00.000Z',
    });
  });
});
