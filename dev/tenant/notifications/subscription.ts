/** A Graph subscription as the tenant keeps it, and the JSON Graph answers for one. */

export interface Subscription {
  id: string;
  /** As given (`/groups`, `groups`, `groups/{id}`). */
  resource: string;
  /** Undefined for every group, else the one group id the resource names. */
  groupId: string | undefined;
  changeTypes: Set<string>;
  notificationUrl: string;
  lifecycleNotificationUrl: string | undefined;
  clientState: string | undefined;
  expirationMs: number;
  applicationId: string;
  creatorId: string;
  /** Set by a `reauthorizationRequired` lifecycle event until the app reauthorizes or renews. */
  reauthorizationRequired: boolean;
}

export function renderSubscription(s: Subscription): Record<string, unknown> {
  return {
    id: s.id,
    resource: s.resource,
    applicationId: s.applicationId,
    changeType: [...s.changeTypes].join(','),
    clientState: s.clientState ?? null,
    notificationUrl: s.notificationUrl,
    notificationQueryOptions: null,
    lifecycleNotificationUrl: s.lifecycleNotificationUrl ?? null,
    expirationDateTime: graphDateTime(s.expirationMs),
    creatorId: s.creatorId,
    includeResourceData: null,
    latestSupportedTlsVersion: 'v1_2',
    encryptionCertificate: null,
    encryptionCertificateId: null,
    notificationUrlAppId: null,
  };
}

/** Graph writes subscription times with seven fractional digits. */
export function graphDateTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}
