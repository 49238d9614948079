import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseNcrontab, type NcrontabSchedule } from '../../shared/config/ncrontab.js';
import { LONGEST_TIMEOUT_MS, scheduleTimer } from '../../dev/host/timer-schedule.js';

function schedule(expression: string): NcrontabSchedule {
  const parsed = parseNcrontab(expression);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.schedule;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2026-12-01T12:00:00Z'));
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the stand-in host timer', () => {
  it('fires an every-5-minutes schedule at each occurrence, not before', async () => {
    const fired: string[] = [];
    const timer = scheduleTimer(schedule('0 */5 * * * *'), (following) => {
      fired.push(`${new Date().toISOString()} next ${following.toISOString()}`);
      return Promise.resolve();
    });
    await vi.advanceTimersByTimeAsync(5 * 60_000 - 1);
    expect(fired).toEqual([]);
    await vi.advanceTimersByTimeAsync(10 * 60_000 + 1);
    expect(fired).toEqual([
      '2026-12-01T12:05:00.000Z next 2026-12-01T12:10:00.000Z',
      '2026-12-01T12:10:00.000Z next 2026-12-01T12:15:00.000Z',
      '2026-12-01T12:15:00.000Z next 2026-12-01T12:20:00.000Z',
    ]);
    timer.cancel();
  });

  it('waits a yearly schedule out in steps shorter than the longest timeout, then fires once', async () => {
    const fired: Date[] = [];
    const timer = scheduleTimer(schedule('0 0 0 1 6 *'), () => {
      fired.push(new Date());
      return Promise.resolve();
    });
    expect(timer.next().toISOString()).toBe('2027-06-01T00:00:00.000Z');
    // Without re-arming, Node clamps the ~182-day wait to 1 ms and the timer fires at once.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(fired).toEqual([]);
    await vi.advanceTimersByTimeAsync(LONGEST_TIMEOUT_MS + DAY);
    expect(fired).toEqual([]);
    const untilDue = new Date('2027-06-01T00:00:00Z').getTime() - Date.now();
    await vi.advanceTimersByTimeAsync(untilDue - 1);
    expect(fired).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(fired.map((at) => at.toISOString())).toEqual(['2027-06-01T00:00:00.000Z']);
    expect(timer.next().toISOString()).toBe('2028-06-01T00:00:00.000Z');
    await vi.advanceTimersByTimeAsync(30 * DAY);
    expect(fired).toHaveLength(1);
    timer.cancel();
  });

  it('never overlaps a slow run with the next one, and stops when cancelled', async () => {
    let running = 0;
    let most = 0;
    let runs = 0;
    const timer = scheduleTimer(schedule('*/10 * * * * *'), async () => {
      running += 1;
      runs += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 25_000));
      running -= 1;
    });
    await vi.advanceTimersByTimeAsync(120_000);
    expect(most).toBe(1);
    expect(runs).toBeGreaterThanOrEqual(3);
    timer.cancel();
    const before = runs;
    await vi.advanceTimersByTimeAsync(120_000);
    expect(runs).toBe(before);
  });
});
