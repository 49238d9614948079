/**
 * How the reader pages (`@odata.nextLink` followed whole, a group's pages one after another,
 * a listing that cannot be finished reported incomplete) against a fake Graph behind an injected
 * `fetch`, on the fake clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Listing, readId } from '../../shared/graph/listing.js';
import type { GraphJob } from '../../shared/graph/requests.js';
import { DIRECTORY, G, U } from './fake-directory.js';
import { FakeGraph, VERSION_ROOT, fakeReader, graphError, withFakeClock } from './fake-graph.js';

let graph: FakeGraph;

beforeEach(() => {
  vi.useFakeTimers();
  graph = new FakeGraph(DIRECTORY);
});
afterEach(() => {
  vi.useRealTimers();
});

const memberIds = (
  members: { complete: boolean; members?: readonly { id: string }[] } | undefined,
) => (members?.complete === true ? members.members?.map((member) => member.id) : members);

describe('paging', () => {
  it('follows each next link as Graph gave it, one page after another within a group', async () => {
    const reader = fakeReader(graph, { pageSize: 2 });
    const result = await withFakeClock(reader.groupMembers([G.allStaff, G.evals], 'direct'));
    expect(memberIds(result.get(G.allStaff))).toEqual([U.ava, U.ben, U.chen, U.dana, U.elif]);
    expect(memberIds(result.get(G.evals))).toEqual([U.ava, U.ben]);
    const allStaff = graph.received(`/groups/${G.allStaff}/`).map((request) => request.url);
    expect(allStaff).toEqual([
      `/groups/${G.allStaff}/members/microsoft.graph.user?$select=id,displayName,userPrincipalName,mail,accountEnabled&$top=2`,
      `/groups/${G.allStaff}/members/microsoft.graph.user?%24select=id%2CdisplayName%2CuserPrincipalName%2Cmail%2CaccountEnabled&%24top=2&%24skiptoken=2`,
      `/groups/${G.allStaff}/members/microsoft.graph.user?%24select=id%2CdisplayName%2CuserPrincipalName%2Cmail%2CaccountEnabled&%24top=2&%24skiptoken=4`,
    ]);
    // Both first pages in one $batch, then each group's next page in the rounds after.
    expect(graph.batches).toBe(3);
  });

  it('follows next links of a single listing (appRoleAssignedTo)', async () => {
    const groups = await withFakeClock(fakeReader(graph, { pageSize: 1 }).assignedGroups());
    expect(groups.map((group) => group.id)).toEqual([G.evals, G.allStaff]);
    expect(graph.received('/appRoleAssignedTo')).toHaveLength(2);
  });

  it('marks a group whose listing fails midway incomplete, and completes the others', async () => {
    graph.fail(
      new RegExp(`/groups/${G.allStaff}/members/.*skiptoken`),
      graphError(503, 'ServiceUnavailable'),
      { times: Infinity },
    );
    const reader = fakeReader(graph, { pageSize: 2 });
    const result = await withFakeClock(
      reader.groupMembers([G.allStaff, G.evals, G.contractors], 'direct'),
    );
    expect(result.get(G.allStaff)).toEqual({
      groupId: G.allStaff,
      complete: false,
      reason: expect.stringMatching(/^page 2: .*503/) as unknown,
    });
    expect(result.get(G.evals)).toMatchObject({ complete: true, members: { length: 2 } });
    expect(result.get(G.contractors)).toMatchObject({ complete: true, members: { length: 2 } });
  });

  it('refuses a next link that leaves the configured Graph endpoint', async () => {
    graph.fail(`/groups/${G.evals}/`, {
      status: 200,
      body: { value: [], '@odata.nextLink': 'https://elsewhere.example/v1.0/groups?$skiptoken=1' },
    });
    const result = await withFakeClock(fakeReader(graph).groupMembers([G.evals], 'direct'));
    expect(result.get(G.evals)).toEqual({
      groupId: G.evals,
      complete: false,
      reason: expect.stringMatching(/page 1 could not be read: the next link is not/) as unknown,
    });
    expect(graph.requests.some((request) => request.url.includes('elsewhere'))).toBe(false);
  });

  it('reports a page with an item of the wrong shape as incomplete, not short', async () => {
    graph.fail(`/groups/${G.evals}/`, {
      status: 200,
      body: { value: [{ id: U.ava }], '@odata.nextLink': `${VERSION_ROOT}/groups/${G.evals}/x` },
    });
    const result = await withFakeClock(fakeReader(graph).groupMembers([G.evals], 'direct'));
    expect(result.get(G.evals)).toMatchObject({
      complete: false,
      reason: expect.stringMatching(/^page 1 could not be read: unexpected item/) as unknown,
    });
  });
});

describe('a listing that would never end', () => {
  it('stops at a next link that points back to a page already read', async () => {
    const loop = `${VERSION_ROOT}/groups/${G.evals}/members?$skiptoken=loop`;
    graph.fail(
      `/groups/${G.evals}/`,
      {
        status: 200,
        body: { value: [], '@odata.nextLink': loop },
      },
      { times: Infinity },
    );
    const result = await withFakeClock(fakeReader(graph).groupMembers([G.evals], 'direct'));
    expect(result.get(G.evals)).toMatchObject({
      complete: false,
      reason: expect.stringMatching(/page 2 could not be read: .*already read/) as unknown,
    });
    // The first page, and the loop's page once: then it stops.
    expect(graph.received(`/groups/${G.evals}/`)).toHaveLength(2);
  });

  it('stops past the page cap even when every next link is new', () => {
    const listing = new Listing(
      { method: 'GET', url: `${VERSION_ROOT}/groups` },
      readId,
      `${VERSION_ROOT}/`,
      () => undefined,
      5,
    );
    let job: GraphJob | undefined = listing.firstJob();
    let answered = 0;
    while (job !== undefined && answered < 100) {
      answered += 1;
      job = job.onAnswer({
        status: 200,
        headers: new Map(),
        body: {
          value: [{ id: `g${answered}` }],
          '@odata.nextLink': `${VERSION_ROOT}/groups?$skiptoken=${answered}`,
        },
      });
    }
    expect(answered).toBe(5);
    expect(listing.result).toMatchObject({
      complete: false,
      failure: { kind: 'malformed', page: 5, detail: 'the listing goes on past 5 pages' },
    });
  });
});
