import { describe, expect, it } from 'vitest';
import { printable } from '../../shared/printable.js';
import type { Operation } from '../../shared/sync/operations.js';
import type { Plan } from '../../shared/sync/planner.js';
import { planText } from '../../shared/sync/report.js';
import type { RunRecord } from '../../shared/sync/run-records.js';

describe('printable', () => {
  it('shows control characters, escape sequences and bidi overrides as \\uXXXX', () => {
    expect(printable('Evals\u001b[2J\u001b]0;owned\u0007')).toBe(
      'Evals\\u001b[2J\\u001b]0;owned\\u0007',
    );
    expect(printable('line one\nforged: INFO ok\r')).toBe('line one\\u000aforged: INFO ok\\u000d');
    expect(printable('admin\u202egnp.exe')).toBe('admin\\u202egnp.exe');
    expect(printable('\u009bC1 and DEL\u007f')).toBe('\\u009bC1 and DEL\\u007f');
  });

  it('leaves ordinary text, accents and emoji alone, and cuts to a length', () => {
    expect(printable('Équipe Évals — 🚀')).toBe('Équipe Évals — 🚀');
    expect(printable('x'.repeat(400), 300)).toBe(`${'x'.repeat(297)}...`);
  });
});

describe('the plan printed by npm run sync', () => {
  it('prints a group name with terminal escape sequences as text, on one line', () => {
    const operation = {
      kind: 'team-created',
      reason: 'group "\u001b[2J\u001b[1;31mPWNED\nteam-removed everything" is assigned to the app',
    } as unknown as Operation;
    const plan = { operations: [operation], held: [], holdReason: undefined } as unknown as Plan;
    const record = { incompleteGroups: [] } as unknown as RunRecord;
    const text = planText(plan, record);
    expect(text).not.toContain('\u001b');
    expect(text.split('\n')).toHaveLength(2);
    expect(text).toContain('\\u001b[2J\\u001b[1;31mPWNED\\u000ateam-removed everything');
  });
});
