/**
 * What one sync looks at. `user`: a sign-in; that user's memberships of the teams in view, and
 * no team is archived. `groups`: a set of group ids; their teams (created, renamed, restored or
 * archived as a full pass would), their members, and those members' user rows. `tenant`: the
 * full pass; every team and user.
 */
export type SyncScope =
  | { readonly kind: 'user'; readonly userId: string }
  | { readonly kind: 'groups'; readonly groupIds: ReadonlySet<string> }
  | { readonly kind: 'tenant' };

/**
 * The rows a scope's plan needs. `user`: the user's partition, and the team row and this
 * user's member row of each team in `teamIds` or linked from the user's partition. `groups`:
 * the partitions of `teamIds`, and the partitions of their members and of `userIds`.
 */
export type StateQuery =
  | { readonly kind: 'user'; readonly userId: string; readonly teamIds: ReadonlySet<string> }
  | {
      readonly kind: 'groups';
      readonly teamIds: ReadonlySet<string>;
      readonly userIds: ReadonlySet<string>;
      /** Also the user partition of every member of those teams (default: yes). */
      readonly memberPartitions?: boolean | undefined;
    }
  | { readonly kind: 'tenant' };
