/**
 * The groups nested (at any depth) in each of some groups: `transitiveMembers` cast to groups,
 * ids only, through `$batch`. The webhook uses it to map a changed nested group to the assigned
 * groups that contain it.
 */
import { Listing, readId, type ListingResult } from './listing.js';
import type { GraphRequestRunner } from './requests.js';

/** `complete: false`: this group's nested groups are unknown (the listing failed). */
export type NestedGroups =
  { readonly complete: true; readonly groupIds: readonly string[] } | { readonly complete: false };

export async function readNestedGroups(
  runner: GraphRequestRunner,
  versionRoot: string,
  groupIds: readonly string[],
  pageSize: number,
): Promise<ReadonlyMap<string, NestedGroups>> {
  const settled = new Map<string, NestedGroups>();
  const listings = [...new Set(groupIds)].map(
    (groupId) =>
      new Listing(
        {
          method: 'GET',
          url: `/groups/${encodeURIComponent(groupId)}/transitiveMembers/microsoft.graph.group?$select=id&$top=${pageSize}`,
        },
        readId,
        versionRoot,
        (result: ListingResult<string>) => {
          settled.set(
            groupId,
            result.complete
              ? { complete: true, groupIds: result.items.map((id) => id.toLowerCase()) }
              : { complete: false },
          );
        },
      ),
  );
  await runner.run(
    listings.map((listing) => listing.firstJob()),
    'batch',
  );
  return new Map(
    [...new Set(groupIds)].map((groupId) => [
      groupId,
      settled.get(groupId) ?? { complete: false as const },
    ]),
  );
}
