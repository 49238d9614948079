import { describe, expect, it } from 'vitest';
import {
  affectedAssignedGroups,
  layoutCursors,
  memberGroupEdges,
} from '../../shared/sync/delta-cursors.js';
import type { DeltaCursor } from '../../shared/sync/delta-model.js';

const ids = (count: number) =>
  Array.from({ length: count }, (_, i) => `g${String(i).padStart(3, '0')}`);

function cursor(groupIds: string[], memberGroups: Record<string, string[]> = {}): DeltaCursor {
  return {
    cursorId: groupIds.join('-'),
    groupIds,
    deltaLink: 'link',
    linkIssuedAt: new Date(0).toISOString(),
    memberGroups,
    assignedGroupIds: [],
  };
}

describe('the cursor layout', () => {
  it('starts cursors of at most 50 groups', () => {
    const layout = layoutCursors(new Set(ids(51)), [], true);
    expect(layout.start.map((chunk) => chunk.length)).toEqual([50, 1]);
  });

  it('follows nested groups, drops a cursor over a group no longer followed and restarts the rest', () => {
    const kept = cursor(['a', 'n'], { a: ['n'] });
    const stale = cursor(['b', 'c']);
    const layout = layoutCursors(new Set(['a', 'c']), [kept, stale], true);
    expect(layout.keep).toEqual([kept]);
    expect(layout.drop).toEqual([stale]);
    expect(layout.start).toEqual([['c']]);
    expect(layoutCursors(new Set(['a']), [kept], false).drop).toEqual([kept]);
  });

  it('maps a nested change to every assigned ancestor, through cycles', () => {
    const edges = memberGroupEdges([cursor([], { a: ['n'], n: ['m'], m: ['n'], b: ['m'] })]);
    expect([...affectedAssignedGroups(['m'], edges, new Set(['a', 'b']))].sort()).toEqual([
      'a',
      'b',
    ]);
  });
});
