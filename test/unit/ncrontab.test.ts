import { describe, expect, it } from 'vitest';
import {
  nextOccurrence,
  parseNcrontab,
  type NcrontabSchedule,
} from '../../shared/config/ncrontab.js';

function schedule(expression: string): NcrontabSchedule {
  const parsed = parseNcrontab(expression);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.schedule;
}

describe('NCRONTAB', () => {
  it('fires every 30 minutes on the minute', () => {
    const every30 = schedule('0 */30 * * * *');
    expect(nextOccurrence(every30, new Date('2026-11-30T10:05:07Z')).toISOString()).toBe(
      '2026-11-30T10:30:00.000Z',
    );
    expect(nextOccurrence(every30, new Date('2026-11-30T10:30:00Z')).toISOString()).toBe(
      '2026-11-30T11:00:00.000Z',
    );
  });

  it('handles names, ranges, lists and day-of-week', () => {
    const weekdays = schedule('0 15 9 * Jan-Dec Mon-Fri');
    // 2026-11-28 is a Saturday.
    expect(nextOccurrence(weekdays, new Date('2026-11-28T12:00:00Z')).toISOString()).toBe(
      '2026-11-30T09:15:00.000Z',
    );
    const lists = schedule('5,35 0 0 1 1,7 *');
    expect(nextOccurrence(lists, new Date('2026-11-30T00:00:00Z')).toISOString()).toBe(
      '2027-01-01T00:00:05.000Z',
    );
  });

  it.each([
    ['* * * * *', 'has 5 fields'],
    ['60 * * * * *', 'second field'],
    ['0 0 0 0 * *', 'day field'],
    ['0 0 0 * 13 *', 'month field'],
    ['0 0 0 * * 8', 'day-of-week field'],
    ['0 */0 * * * *', 'bad step'],
    ['0 5-1 * * * *', 'minute field'],
  ])('rejects %s', (expression, reason) => {
    const parsed = parseNcrontab(expression);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.reason).toContain(reason);
  });
});
