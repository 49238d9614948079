/**
 * How users and groups look in Graph's answers: the full property sets, the default set each
 * returns without `$select`, and `$select` itself (an unknown property is a 400, as in Graph).
 */
import type { GroupObject, UserObject } from '../model.js';
import { BadQuery } from './responses.js';

const USER_DEFAULT = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
] as const;

function userProps(u: UserObject): Record<string, unknown> {
  return {
    id: u.id,
    businessPhones: [],
    displayName: u.displayName,
    givenName: u.givenName,
    jobTitle: u.jobTitle,
    mail: u.mail,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: null,
    surname: u.surname,
    userPrincipalName: u.userPrincipalName,
    accountEnabled: u.accountEnabled,
    createdDateTime: u.createdDateTime,
    deletedDateTime: null,
    mailNickname: u.userPrincipalName.split('@')[0] ?? u.userPrincipalName,
    otherMails: [],
    proxyAddresses: u.mail ? [`SMTP:${u.mail}`] : [],
    userType: 'Member',
    onPremisesSyncEnabled: null,
    onPremisesImmutableId: null,
    employeeId: null,
    department: null,
    companyName: null,
  };
}

const GROUP_DEFAULT = [
  'id',
  'deletedDateTime',
  'classification',
  'createdDateTime',
  'description',
  'displayName',
  'groupTypes',
  'mail',
  'mailEnabled',
  'mailNickname',
  'securityEnabled',
  'visibility',
] as const;

function groupProps(g: GroupObject): Record<string, unknown> {
  return {
    id: g.id,
    deletedDateTime: null,
    classification: null,
    createdDateTime: g.createdDateTime,
    description: g.description,
    displayName: g.displayName,
    groupTypes: g.groupTypes,
    mail: g.mail,
    mailEnabled: g.mailEnabled,
    mailNickname: g.mailNickname,
    securityEnabled: g.securityEnabled,
    visibility: g.groupTypes.includes('Unified') ? 'Private' : null,
    membershipRule: null,
    onPremisesSyncEnabled: null,
    proxyAddresses: g.mail ? [`SMTP:${g.mail}`] : [],
    renewedDateTime: g.createdDateTime,
    securityIdentifier: `S-1-12-1-${parseInt(g.id.slice(0, 8), 16)}`,
  };
}

const USER_PROPS = new Set(
  Object.keys(
    userProps({
      id: '',
      displayName: '',
      userPrincipalName: '',
      mail: null,
      givenName: null,
      surname: null,
      jobTitle: null,
      accountEnabled: true,
      createdDateTime: '',
    }),
  ),
);
const GROUP_PROPS = new Set(
  Object.keys(
    groupProps({
      id: '00000000',
      displayName: '',
      description: null,
      securityEnabled: true,
      mailEnabled: false,
      groupTypes: [],
      mail: null,
      mailNickname: '',
      createdDateTime: '',
      members: new Set(),
    }),
  ),
);

export type Shape =
  'user' | 'group' | 'directoryObject' | 'servicePrincipal' | 'application' | 'appRoleAssignment';

export function parseSelect(query: URLSearchParams, shape: Shape): string[] | undefined {
  const raw = query.get('$select');
  if (raw === null) return undefined;
  const props = raw
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  if (props.length === 0)
    throw new BadQuery('BadRequest', 'Invalid $select: the value must name at least one property.');
  for (const p of props) {
    const known =
      shape === 'user'
        ? USER_PROPS.has(p)
        : shape === 'group'
          ? GROUP_PROPS.has(p)
          : shape === 'directoryObject'
            ? USER_PROPS.has(p) || GROUP_PROPS.has(p)
            : true;
    if (!known) {
      throw new BadQuery(
        'BadRequest',
        `Could not find a property named '${p}' on type 'microsoft.graph.${shape}'.`,
      );
    }
  }
  return props;
}

export function pick(
  all: Record<string, unknown>,
  select: readonly string[] | undefined,
  defaults: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of select ?? defaults) if (p in all) out[p] = all[p];
  return out;
}

export function renderUser(
  u: UserObject,
  select: string[] | undefined,
  withType: boolean,
): Record<string, unknown> {
  const body = pick(userProps(u), select, USER_DEFAULT);
  return withType ? { '@odata.type': '#microsoft.graph.user', ...body } : body;
}

export function renderGroup(
  g: GroupObject,
  select: string[] | undefined,
  withType: boolean,
): Record<string, unknown> {
  const body = pick(groupProps(g), select, GROUP_DEFAULT);
  return withType ? { '@odata.type': '#microsoft.graph.group', ...body } : body;
}
