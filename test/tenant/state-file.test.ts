/** A simulated tenant with a state file keeps what was changed across a restart; reset goes back to the seed. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTenantData } from '../../dev/tenant/model.js';
import { startSimulatedTenant } from '../../dev/tenant/server.js';
import { S, SAMPLE } from './helpers.js';

const folder = mkdtempSync(join(tmpdir(), 'tenant-state-'));
const stateFile = join(folder, 'state.json');
afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

const saved = () => parseTenantData(JSON.parse(readFileSync(stateFile, 'utf8')));

describe('a tenant with a state file', () => {
  it('seeds it, writes every change through, starts from it again and resets to the seed', async () => {
    const first = await startSimulatedTenant({ tenant: SAMPLE, stateFile, port: 0 });
    expect(saved().groups).toHaveLength(5);
    await fetch(`${first.baseUrl}/_admin/assignments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ principalId: S.prodTeam }),
    });
    first.admin.addMember(S.evals, S.elif);
    expect(saved().assignments.map((a) => a.principalId)).toContain(S.prodTeam);
    expect(saved().groups.find((g) => g.id === S.evals)?.members).toContain(S.elif);
    await first.stop();

    const second = await startSimulatedTenant({ tenant: SAMPLE, stateFile, port: 0 });
    try {
      const state = second.admin.getState();
      expect(state.assignments.map((a) => a.principalId)).toContain(S.prodTeam);
      expect(state.groups.find((g) => g.id === S.evals)?.members).toContain(S.elif);
      second.admin.reset();
      expect(saved().assignments.map((a) => a.principalId)).not.toContain(S.prodTeam);
      expect(second.admin.getState().groups.find((g) => g.id === S.evals)?.members).not.toContain(
        S.elif,
      );
    } finally {
      await second.stop();
    }
  });
});
