/** The benchmark's tenant sizes and command line. */
import { parseArgs } from 'node:util';

export type SizeName = 'XS' | 'S' | 'M' | 'L';

export interface TenantSize {
  readonly users: number;
  readonly groups: number;
  readonly largest: number;
  readonly minMembers: number;
  readonly maxMembers: number;
  readonly nestingDepth: number;
}

/** XS is the CI smoke run; L (about 1,000,000 memberships) runs only when asked for. */
export const SIZES: Record<SizeName, TenantSize> = {
  XS: { users: 200, groups: 20, largest: 60, minMembers: 5, maxMembers: 15, nestingDepth: 1 },
  S: { users: 1_000, groups: 100, largest: 300, minMembers: 20, maxMembers: 60, nestingDepth: 2 },
  M: {
    users: 10_000,
    groups: 1_000,
    largest: 3_000,
    minMembers: 50,
    maxMembers: 150,
    nestingDepth: 2,
  },
  L: {
    users: 100_000,
    groups: 5_000,
    largest: 10_000,
    minMembers: 100,
    maxMembers: 300,
    nestingDepth: 2,
  },
};

export interface BenchOptions {
  readonly size: SizeName;
  readonly tenant: TenantSize;
  readonly seed: string;
  /** Fraction of memberships the change phase changes. */
  readonly change: number;
  readonly signIns: number;
  readonly concurrency: number;
  /** Stop after the first run and its floor (L at its first run is most of the question). */
  readonly firstRunOnly: boolean;
  /**
   * Only the delta phases, after a first run without its floor (the delta floors then replay
   * into tables seeded with just the rows the round deletes): the delta figures at M or L in a
   * fraction of the whole bench's time.
   */
  readonly deltaOnly: boolean;
  readonly maxMinutes: number;
  readonly out: string | undefined;
}

export const USAGE = `Usage: npm run bench -- [options]

  --size XS|S|M|L    tenant size (default M; L is about 1,000,000 memberships)
  --out FILE         write every figure, floor and ratio as JSON
  --signins N        sign-ins per sign-in phase (default 200; XS: 40)
  --concurrency N    sign-ins at once (default 16)
  --change F         fraction of memberships changed in the change phase (default 0.01)
  --first-run-only   stop after the first run and its floor
  --delta-only       a first run (no floor), then only the two delta phases and their floors
  --seed S           the tenant follows from it (default "bench")
  --max-minutes N    stop after this long (default 10; L: 60)`;

function whole(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`--${name} must be a whole number >= ${min}, not ${JSON.stringify(text)}`);
  }
  return value;
}

export function parseOptions(argv: readonly string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      size: { type: 'string' },
      out: { type: 'string' },
      signins: { type: 'string' },
      concurrency: { type: 'string' },
      change: { type: 'string' },
      'first-run-only': { type: 'boolean' },
      'delta-only': { type: 'boolean' },
      seed: { type: 'string' },
      'max-minutes': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help === true) return 'help';
  const size = (values.size ?? 'M').toUpperCase();
  if (!(size in SIZES))
    throw new Error(`--size must be XS, S, M or L, not ${JSON.stringify(values.size)}`);
  const name = size as SizeName;
  const change = Number(values.change ?? '0.01');
  if (!(change > 0 && change <= 0.5)) throw new Error('--change must be in (0, 0.5]');
  return {
    size: name,
    tenant: SIZES[name],
    seed: values.seed ?? 'bench',
    change,
    signIns: whole('signins', values.signins, name === 'XS' ? 40 : 200, 1),
    concurrency: whole('concurrency', values.concurrency, 16, 1),
    firstRunOnly: values['first-run-only'] === true,
    deltaOnly: values['delta-only'] === true,
    maxMinutes: whole('max-minutes', values['max-minutes'], name === 'L' ? 60 : 10, 1),
    out: values.out,
  };
}
