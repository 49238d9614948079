/**
 * The six-field NCRONTAB expressions Azure Functions timers take
 * (`{second} {minute} {hour} {day} {month} {day-of-week}`). Parsed here so that a bad
 * `SYNC_SCHEDULE` stops start-up with a clear message, and so the local host can fire timers
 * on the same schedule the Functions host would.
 */
interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
  },
  { name: 'day-of-week', min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

export interface NcrontabSchedule {
  readonly expression: string;
  readonly seconds: ReadonlySet<number>;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly daysOfWeek: ReadonlySet<number>;
}

export type NcrontabResult =
  { ok: true; schedule: NcrontabSchedule } | { ok: false; reason: string };

function parseValue(text: string, spec: FieldSpec): number | undefined {
  const lower = text.toLowerCase();
  const named = spec.names?.indexOf(lower) ?? -1;
  if (named >= 0) return named + spec.min;
  if (!/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  // Day-of-week 7 means Sunday in cron dialects, NCronTab included.
  if (spec.name === 'day-of-week' && value === 7) return 0;
  return value >= spec.min && value <= spec.max ? value : undefined;
}

function parseField(text: string, spec: FieldSpec): Set<number> | string {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const [rangeText = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) return `bad step "${part}" in the ${spec.name} field`;
    let from: number | undefined;
    let to: number | undefined;
    if (rangeText === '*') {
      from = spec.min;
      to = spec.max;
    } else if (rangeText.includes('-')) {
      const [a = '', b = ''] = rangeText.split('-');
      from = parseValue(a, spec);
      to = parseValue(b, spec);
    } else {
      from = parseValue(rangeText, spec);
      to = stepText === undefined ? from : spec.max;
    }
    if (from === undefined || to === undefined || from > to) {
      return `"${part}" is not valid in the ${spec.name} field (${spec.min}-${spec.max})`;
    }
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return values;
}

export function parseNcrontab(expression: string): NcrontabResult {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== FIELDS.length) {
    return {
      ok: false,
      reason: `has ${parts.length} fields; NCRONTAB needs 6: second minute hour day month day-of-week`,
    };
  }
  const sets: Set<number>[] = [];
  for (const [index, spec] of FIELDS.entries()) {
    const parsed = parseField(parts[index] ?? '', spec);
    if (typeof parsed === 'string') return { ok: false, reason: parsed };
    sets.push(parsed);
  }
  const [seconds, minutes, hours, days, months, daysOfWeek] = sets as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  return {
    ok: true,
    schedule: { expression, seconds, minutes, hours, days, months, daysOfWeek },
  };
}

/** The first instant strictly after `after` (UTC, whole seconds) that the schedule matches. */
export function nextOccurrence(schedule: NcrontabSchedule, after: Date): Date {
  const candidate = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
  const limit = after.getTime() + 5 * 366 * 24 * 3600 * 1000;
  while (candidate.getTime() <= limit) {
    if (!schedule.months.has(candidate.getUTCMonth() + 1)) {
      candidate.setUTCMonth(candidate.getUTCMonth() + 1, 1);
      candidate.setUTCHours(0, 0, 0);
      continue;
    }
    if (
      !schedule.days.has(candidate.getUTCDate()) ||
      !schedule.daysOfWeek.has(candidate.getUTCDay())
    ) {
      candidate.setUTCDate(candidate.getUTCDate() + 1);
      candidate.setUTCHours(0, 0, 0);
      continue;
    }
    if (!schedule.hours.has(candidate.getUTCHours())) {
      candidate.setUTCHours(candidate.getUTCHours() + 1, 0, 0);
      continue;
    }
    if (!schedule.minutes.has(candidate.getUTCMinutes())) {
      candidate.setUTCMinutes(candidate.getUTCMinutes() + 1, 0);
      continue;
    }
    if (!schedule.seconds.has(candidate.getUTCSeconds())) {
      candidate.setUTCSeconds(candidate.getUTCSeconds() + 1);
      continue;
    }
    return candidate;
  }
  throw new Error(`schedule "${schedule.expression}" never fires`);
}
