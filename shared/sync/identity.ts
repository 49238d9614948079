/** Who signed in, as established from a validated Entra token. Keyed by `oid`, never email. */
export interface SignedInIdentity {
  readonly userId: string;
  readonly tenantId: string;
  readonly name?: string | undefined;
  readonly preferredUsername?: string | undefined;
  readonly email?: string | undefined;
  /**
   * Group ids from the token's `groups` claim, only when the claim is complete (no overage)
   * and GROUPS_CLAIM_AUTHORITATIVE says the app's claim configuration makes it usable.
   */
  readonly groupsClaim?: readonly string[] | undefined;
  /**
   * The values of the app roles in the token's `roles` claim. Entra leaves the claim out when
   * the user holds none, so absent means no roles.
   */
  readonly roles?: readonly string[] | undefined;
}
