/**
 * Deterministic large tenants for tests and benchmarks: the same options and seed give the same
 * tenant (ids, names, memberships) on every machine.
 */
import type { TenantData } from './model.js';

export interface GenerateTenantOptions {
  /** Any number or string; the whole tenant follows from it. */
  seed: number | string;
  /** Number of users. */
  users: number;
  /** Number of groups (assigned, nested and unassigned together). */
  groups: number;
  /** How many groups are assigned to the app (the first ones). Default: all of them. */
  assignedGroups?: number;
  /** Direct user members per group: a number or a uniform range. Default 10. */
  membershipsPerGroup?: number | { min: number; max: number };
  /**
   * Depth of nesting chains hung under assigned groups: 0 (default) is flat, 2 means
   * assigned ← nested ← nested. Nested groups come from the unassigned ones.
   */
  nestingDepth?: number;
  /** How many assigned groups get a nesting chain (default: as many as there are groups for, at most 10). */
  nestedChains?: number;
  /** Direct user members of the first group (e.g. 5000 for one big group). */
  largestGroupMembers?: number;
  /** The first user is a direct member of this many groups (e.g. 250 for a groups-claim overage). */
  powerUserGroups?: number;
  /** Fraction of users that are disabled (default 0.02). */
  disabledFraction?: number;
  /** Fraction of groups that are Microsoft 365 (Unified) groups (default 0.2). */
  m365Fraction?: number;
  /** Users assigned to the app directly (default 0). */
  assignedUsers?: number;
  /** Pins the tenant id (default: derived from the seed). */
  tenantId?: string;
}

/** sfc32, seeded through a 32-bit string hash: small, fast, good enough for test data. */
export function createPrng(seed: number | string): () => number {
  let h = 1779033703 ^ String(seed).length;
  const s = String(seed);
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  const next = (): number => {
    h = Math.imul(h ^ (h >>> 16), 2246822507);
    h = Math.imul(h ^ (h >>> 13), 3266489909);
    return (h ^= h >>> 16) >>> 0;
  };
  let a = next();
  let b = next();
  let c = next();
  let d = next();
  const rand = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i++) rand();
  return rand;
}

function guid(rand: () => number): string {
  const hex: string[] = [];
  for (let i = 0; i < 32; i++) hex.push(Math.floor(rand() * 16).toString(16));
  hex[12] = '4';
  hex[16] = '89ab'.charAt(Math.floor(rand() * 4));
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const FIRST = [
  'Ava',
  'Ben',
  'Chen',
  'Dana',
  'Elif',
  'Farah',
  'Gus',
  'Hana',
  'Ivan',
  'Jade',
  'Kofi',
  'Lena',
  'Mateo',
  'Nia',
  'Omar',
  'Priya',
  'Quinn',
  'Rosa',
  'Sven',
  'Tara',
  'Umar',
  'Vera',
  'Wen',
  'Yusuf',
  'Zoe',
];
const LAST = [
  'Patel',
  'Okafor',
  'Wei',
  'Kowalski',
  'Demir',
  'Haddad',
  'Lindqvist',
  'Sato',
  'Novak',
  'Garcia',
  'Mensah',
  'Berg',
  'Rossi',
  'Kim',
  'Silva',
  'Nguyen',
  'Dubois',
  'Murphy',
  'Ivanova',
  'Khan',
];
const TEAMS = [
  'Evals',
  'Platform',
  'Research',
  'Support',
  'Finance',
  'Legal',
  'Sales',
  'Security',
  'Data',
  'Infra',
  'Mobile',
  'Web',
  'Search',
  'Ads',
  'Growth',
  'Ops',
];

/** Picks `k` distinct indexes from `0..n-1`. */
function sample(rand: () => number, n: number, k: number): number[] {
  const count = Math.min(k, n);
  if (count * 2 > n) {
    const all = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(rand() * (n - i));
      const tmp = all[i] ?? 0;
      all[i] = all[j] ?? 0;
      all[j] = tmp;
    }
    return all.slice(0, count);
  }
  const picked = new Set<number>();
  while (picked.size < count) picked.add(Math.floor(rand() * n));
  return [...picked];
}

/** A tenant described by counts, the same for the same options. */
export function generateTenant(opts: GenerateTenantOptions): TenantData {
  const rand = createPrng(opts.seed);
  const slug =
    String(opts.seed)
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '') || 'gen';
  const domain = `gen${slug}.onmicrosoft.com`.slice(0, 60);
  const tenantId = opts.tenantId ?? guid(rand);
  const clientId = guid(rand);
  const servicePrincipalId = guid(rand);
  const disabledFraction = opts.disabledFraction ?? 0.02;
  const m365Fraction = opts.m365Fraction ?? 0.2;

  const users = Array.from({ length: opts.users }, (_, i) => {
    const first = FIRST[i % FIRST.length] ?? 'User';
    const last = LAST[Math.floor(i / FIRST.length) % LAST.length] ?? 'Sim';
    const n = String(i + 1).padStart(5, '0');
    const upn = `${first.toLowerCase()}.${last.toLowerCase()}.${n}@${domain}`;
    return {
      id: guid(rand),
      displayName: `${first} ${last} ${n}`,
      givenName: first,
      surname: last,
      userPrincipalName: upn,
      mail: rand() < 0.05 ? null : upn,
      accountEnabled: !(i > 0 && rand() < disabledFraction),
    };
  });

  const assignedCount = Math.min(opts.assignedGroups ?? opts.groups, opts.groups);
  const groups = Array.from({ length: opts.groups }, (_, i) => {
    const m365 = rand() < m365Fraction;
    const team = TEAMS[i % TEAMS.length] ?? 'Team';
    const n = String(i + 1).padStart(4, '0');
    return {
      id: guid(rand),
      displayName: `${team} ${n}${i < assignedCount ? '' : ' (not assigned)'}`,
      description: null,
      securityEnabled: !m365,
      mailEnabled: m365,
      groupTypes: m365 ? ['Unified'] : [],
      mail: m365 ? `${team.toLowerCase()}${n}@${domain}` : null,
      mailNickname: `${team.toLowerCase()}${n}`,
      members: [] as string[],
    };
  });

  const per = opts.membershipsPerGroup ?? 10;
  groups.forEach((g, i) => {
    const k =
      i === 0 && opts.largestGroupMembers !== undefined
        ? opts.largestGroupMembers
        : typeof per === 'number'
          ? per
          : per.min + Math.floor(rand() * (per.max - per.min + 1));
    for (const u of sample(rand, users.length, k)) {
      const user = users[u];
      if (user) g.members.push(user.id);
    }
  });

  const firstUser = users[0];
  if (firstUser && opts.powerUserGroups !== undefined) {
    for (const g of groups.slice(0, opts.powerUserGroups))
      if (!g.members.includes(firstUser.id)) g.members.push(firstUser.id);
  }

  const depth = opts.nestingDepth ?? 0;
  if (depth > 0) {
    const spare = groups.slice(assignedCount);
    const chains = Math.min(
      opts.nestedChains ?? 10,
      assignedCount,
      Math.floor(spare.length / depth),
    );
    for (let c = 0; c < chains; c++) {
      let parent = groups[c];
      for (let d = 0; d < depth; d++) {
        const child = spare[c * depth + d];
        if (!parent || !child) break;
        parent.members.push(child.id);
        child.displayName = `${child.displayName.replace(' (not assigned)', '')} (nested level ${d + 1})`;
        parent = child;
      }
    }
  }

  const assignments = [
    ...groups.slice(0, assignedCount).map((g) => ({ principalId: g.id })),
    ...users.slice(0, opts.assignedUsers ?? 0).map((u) => ({ principalId: u.id })),
  ];

  return {
    description: `Generated by dev/tenant/generate.ts from seed ${String(opts.seed)}.`,
    tenantId,
    displayName: `Generated tenant ${String(opts.seed)}`,
    domain,
    app: {
      clientId,
      clientSecret: `sim~generated-secret-${slug}`.padEnd(16, '0'),
      servicePrincipalId,
      displayName: 'MishikaLLM',
      redirectUris: [],
      allowLoopbackRedirects: true,
    },
    users,
    groups,
    assignments,
  };
}
