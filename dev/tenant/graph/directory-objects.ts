/** A paged collection of directory objects (users and groups), cast to one type or not. */
import type { GroupObject, UserObject } from '../model.js';
import type { SimResponse } from '../sim-response.js';
import { parseSelect, renderGroup, renderUser } from './objects.js';
import { page } from './paging.js';
import type { GraphContext, GraphRequest } from './route.js';

export function directoryObjects(
  ctx: GraphContext,
  req: GraphRequest,
  ids: string[],
  cast: 'user' | 'group' | undefined,
  context: string,
): SimResponse {
  const dir = ctx.directory;
  const select = parseSelect(req.query, cast ?? 'directoryObject');
  const objects: (UserObject | GroupObject)[] = [];
  for (const id of ids) {
    const u = dir.users.get(id);
    if (u) {
      if (cast !== 'group') objects.push(u);
      continue;
    }
    const g = dir.groups.get(id);
    if (g && cast !== 'user') objects.push(g);
  }
  const typed = cast === undefined;
  return page(
    ctx,
    req,
    objects,
    (o) =>
      'userPrincipalName' in o ? renderUser(o, select, typed) : renderGroup(o, select, typed),
    context,
  );
}
