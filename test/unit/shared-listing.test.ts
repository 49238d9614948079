/**
 * The assignments listing sign-ins share: single flight, one listing per age window whatever
 * the rate, and no failure kept. Fake timers and an injected lister: nothing sleeps.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { withAssignedGroupsCache, type AppAssignments } from '../../shared/graph/index.js';
import type { DirectoryReader } from '../../shared/graph/directory.js';
import { SharedListing } from '../../shared/graph/shared-listing.js';

const FIVE_SECONDS = 5000;

/** A lister whose calls stay pending until the test settles them. */
function controlledLister<T>() {
  const pending: { resolve: (value: T) => void; reject: (error: Error) => void }[] = [];
  const list = vi.fn(
    () =>
      new Promise<T>((resolve, reject) => {
        pending.push({ resolve, reject });
      }),
  );
  return { list, pending };
}

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-11-30T10:00:00Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

function listingOf<T>(list: () => Promise<T>): SharedListing<T> {
  return new SharedListing(list, FIVE_SECONDS, () => Date.now());
}

describe('SharedListing', () => {
  it('makes 100 concurrent callers share one listing', async () => {
    const { list, pending } = controlledLister<string>();
    const shared = listingOf(list);
    const answers = Promise.all(Array.from({ length: 100 }, () => shared.get()));
    expect(list).toHaveBeenCalledTimes(1);
    pending[0]?.resolve('assignments');
    expect(await answers).toEqual(Array.from({ length: 100 }, () => 'assignments'));
  });

  it('lists at most once per 5 s whatever the rate, and again once the listing is older', async () => {
    let listed = 0;
    const shared = listingOf(() => Promise.resolve(++listed));
    for (let step = 0; step < 50; step += 1) {
      expect(await shared.get()).toBe(1);
      await vi.advanceTimersByTimeAsync(99);
    }
    // 50 × 99 ms = 4.95 s after the first listing started.
    expect(await shared.get()).toBe(1);
    await vi.advanceTimersByTimeAsync(50);
    expect(await shared.get()).toBe(2);
    expect(listed).toBe(2);
  });

  it('counts the age from when the listing started, and shares one that runs past 5 s', async () => {
    const { list, pending } = controlledLister<string>();
    const shared = listingOf(list);
    const first = shared.get();
    await vi.advanceTimersByTimeAsync(7000);
    const joined = shared.get();
    expect(list).toHaveBeenCalledTimes(1);
    pending[0]?.resolve('slow');
    expect(await Promise.all([first, joined])).toEqual(['slow', 'slow']);
    // Done, but started 7 s ago: the next caller gets a new listing.
    void shared.get();
    expect(list).toHaveBeenCalledTimes(2);
  });

  it('does not keep a failed listing as an answer', async () => {
    const { list, pending } = controlledLister<string>();
    const shared = listingOf(list);
    const waiting = Array.from({ length: 3 }, () => shared.get());
    pending[0]?.reject(new Error('graph_unavailable'));
    for (const caller of waiting) await expect(caller).rejects.toThrow('graph_unavailable');
    const next = shared.get();
    expect(list).toHaveBeenCalledTimes(2);
    pending[1]?.resolve('recovered');
    expect(await next).toBe('recovered');
    expect(await shared.get()).toBe('recovered');
    expect(list).toHaveBeenCalledTimes(2);
  });

  it('lists afresh for a caller that allows no age, but still joins a listing in flight', async () => {
    const { list, pending } = controlledLister<string>();
    const shared = listingOf(list);
    const first = shared.get();
    const fresh = shared.get(0);
    expect(list).toHaveBeenCalledTimes(1);
    pending[0]?.resolve('one');
    await Promise.all([first, fresh]);
    void shared.get(0);
    expect(list).toHaveBeenCalledTimes(2);
  });
});

describe('withAssignedGroupsCache', () => {
  const assignments: AppAssignments = {
    groups: [{ id: 'g1', displayName: 'Evals', appRoleIds: ['r1'] }],
    users: [{ id: 'u1', displayName: 'Ava', appRoleIds: ['r2'] }],
  };

  function fakeReader(appAssignments: DirectoryReader['appAssignments']): DirectoryReader {
    const unused = () => Promise.reject(new Error('not used here'));
    return {
      requestCount: 0,
      servicePrincipalId: unused,
      assignedGroups: unused,
      appAssignments,
      appRoles: unused,
      userWithGroups: unused,
      groupMembers: unused,
      users: unused,
    };
  }

  it('answers assignedGroups and appAssignments from the same listing, 5 s by default', async () => {
    const appAssignments = vi.fn(() => Promise.resolve(assignments));
    const reader = withAssignedGroupsCache(fakeReader(appAssignments), 5);
    const [groups, both] = await Promise.all([reader.assignedGroups(), reader.appAssignments()]);
    expect(groups).toEqual([{ id: 'g1', displayName: 'Evals' }]);
    expect(both.users).toEqual(assignments.users);
    expect(appAssignments).toHaveBeenCalledTimes(1);
    expect(appAssignments).toHaveBeenCalledWith({ maxAgeSeconds: 0 });

    await vi.advanceTimersByTimeAsync(4999);
    await reader.assignedGroups();
    expect(appAssignments).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    await reader.assignedGroups();
    expect(appAssignments).toHaveBeenCalledTimes(2);
    await reader.assignedGroups({ maxAgeSeconds: 0 });
    expect(appAssignments).toHaveBeenCalledTimes(3);
  });
});
