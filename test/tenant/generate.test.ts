import { describe, expect, it } from 'vitest';
import { generateTenant } from '../../dev/tenant/generate.js';
import { parseTenantData } from '../../dev/tenant/model.js';
import { Directory } from '../../dev/tenant/model.js';

describe('generateTenant', () => {
  it('is deterministic for a seed and different across seeds', () => {
    const a = generateTenant({ seed: 42, users: 50, groups: 10, nestingDepth: 2 });
    const b = generateTenant({ seed: 42, users: 50, groups: 10, nestingDepth: 2 });
    const c = generateTenant({ seed: 43, users: 50, groups: 10, nestingDepth: 2 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.tenantId).not.toBe(c.tenantId);
    expect(() => parseTenantData(a)).not.toThrow();
  });

  it('makes 1,200 assigned groups, a 5,000-member group and a user in 250 groups, valid and nested', () => {
    const t = generateTenant({
      seed: 'bench',
      users: 6000,
      groups: 1300,
      assignedGroups: 1200,
      membershipsPerGroup: { min: 5, max: 40 },
      largestGroupMembers: 5000,
      powerUserGroups: 250,
      nestingDepth: 3,
      assignedUsers: 2,
    });
    const parsed = parseTenantData(t);
    expect(parsed.users).toHaveLength(6000);
    expect(parsed.groups).toHaveLength(1300);
    expect(parsed.assignments).toHaveLength(1202);
    expect(parsed.groups[0]?.members.length).toBeGreaterThanOrEqual(5000);
    const dir = new Directory(parsed);
    const power = parsed.users[0]?.id ?? '';
    expect(dir.transitiveParents(power).length).toBeGreaterThanOrEqual(250);
    // nesting: the first assigned group reaches 3 levels of nested groups
    const nested = dir
      .transitiveMembers(parsed.groups[1]?.id ?? '')
      .filter((id) => dir.groups.has(id));
    expect(nested).toHaveLength(3);
    const ids = new Set([...parsed.users.map((u) => u.id), ...parsed.groups.map((g) => g.id)]);
    expect(ids.size).toBe(7300);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parsed.users.some((u) => !u.accountEnabled)).toBe(true);
    expect(parsed.groups.some((g) => g.groupTypes.includes('Unified'))).toBe(true);
  });

  it('rejects invalid tenant data with a message naming the problem', () => {
    const t = generateTenant({ seed: 1, users: 2, groups: 1 });
    const broken = {
      ...t,
      groups: [{ ...t.groups[0], members: ['00000000-0000-4000-8000-000000000000'] }],
    };
    expect(() => parseTenantData(broken, 'test data')).toThrow(
      /groups\.0\.members\.0: unknown member/,
    );
  });
});
