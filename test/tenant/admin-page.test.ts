/** The simulated tenant's admin page: readable without script, and its forms make the changes. */
import { describe, expect, it } from 'vitest';
import { useSimulatedTenant } from '../support/tenant-fixture.js';
import { S, SAMPLE } from './helpers.js';

const sim = useSimulatedTenant(SAMPLE);

function post(action: string, form: Record<string, string>, origin = sim.baseUrl) {
  return fetch(`${sim.baseUrl}/_admin/page/${action}`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      origin,
    },
    body: new URLSearchParams(form).toString(),
  });
}

describe('the admin page', () => {
  it('lists groups (name, id, assigned, members) and users, for a phone, without script', async () => {
    const response = await fetch(`${sim.baseUrl}/_admin/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await response.text();
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).not.toMatch(/<script|<style|\son\w+=/i);
    expect(html).toContain('Production LLM Evals Group');
    expect(html).toContain(S.evals);
    expect(html).toContain('Assigned to the app: <strong>yes</strong>');
    expect(html).toContain('ava.patel@mishikallm.onmicrosoft.com');
    for (const [, id] of html.matchAll(
      /<(?:input|select)(?![^>]*type="hidden")[^>]*\sid="([^"]+)"/g,
    ))
      expect(html, `label for ${id ?? ''}`).toContain(`<label for="${id ?? ''}">`);
    expect((await fetch(`${sim.baseUrl}/_admin/admin.css`)).headers.get('content-type')).toContain(
      'text/css',
    );
  });

  it('creates, assigns, renames and changes members through its forms', async () => {
    const created = await post('create-group', { name: 'From the page' });
    expect(created.status).toBe(303);
    const notice = new URL(created.headers.get('location') ?? '', sim.baseUrl).searchParams;
    expect(notice.get('ok')).toMatch(/^Created group "From the page" \([0-9a-f-]{36}\)\.$/);
    const group = sim.admin.getState().groups.find((g) => g.displayName === 'From the page');
    const id = group?.id ?? '';
    await post('assign', { group: id });
    await post('add-member', { group: id, member: S.ben });
    await post('rename-group', { group: id, name: 'Renamed on the page' });
    let state = sim.admin.getState();
    expect(state.assignments.map((a) => a.principalId)).toContain(id);
    expect(state.groups.find((g) => g.id === id)).toMatchObject({
      displayName: 'Renamed on the page',
      members: [S.ben],
    });
    await post('remove-member', { group: id, member: S.ben });
    await post('unassign', { group: id });
    state = sim.admin.getState();
    expect(state.assignments.map((a) => a.principalId)).not.toContain(id);
    expect(state.groups.find((g) => g.id === id)?.members).toEqual([]);
  });

  it('says what went wrong on the page, in words', async () => {
    const response = await post('create-group', { name: ' ' });
    const location = new URL(response.headers.get('location') ?? '', sim.baseUrl);
    expect(location.searchParams.get('error')).toBe('name is required');
    const page = await (await fetch(location)).text();
    expect(page).toContain('<p role="status" class="notice error">name is required</p>');
  });

  it('refuses a form posted from another site', async () => {
    const before = sim.admin.getState().groups.length;
    const response = await post('create-group', { name: 'CSRF' }, 'https://evil.example');
    expect(response.status).toBe(403);
    expect(sim.admin.getState().groups).toHaveLength(before);
  });
});
