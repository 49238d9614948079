/** A few users and groups for the fake Graph (shaped after dev/tenants/sample.json, not nested). */
import type { EntraUser } from '../../shared/graph/index.js';
import type { FakeDirectory } from './fake-graph.js';

export const U = {
  ava: '9322bf07-ba8c-4b26-8cd8-2c8cb33fef8b',
  ben: 'd99a8817-6c0b-4aa8-af23-4537737e5698',
  chen: 'b864671a-937c-4bb0-ae37-de5d25388bf9',
  dana: '802b7a2b-742b-400f-821c-b5853af390c8',
  elif: '1801b510-039b-4f9e-9fd8-3d7246401aa4',
} as const;

export const G = {
  evals: '4d8c44e9-3dcb-4865-92df-15789e1fa41a',
  contractors: 'a96407eb-d856-497c-b294-196db3267295',
  allStaff: '7243c7b2-c550-460c-a082-70ee73c46617',
} as const;

function user(id: string, name: string): EntraUser {
  const upn = `${name.toLowerCase().replace(' ', '.')}@mishikallm.onmicrosoft.com`;
  return { id, displayName: name, userPrincipalName: upn, mail: upn, accountEnabled: true };
}

export const DIRECTORY: FakeDirectory = {
  users: [
    user(U.ava, 'Ava Patel'),
    user(U.ben, 'Ben Okafor'),
    user(U.chen, 'Chen Wei'),
    user(U.dana, 'Dana Kowalski'),
    user(U.elif, 'Elif Demir'),
  ],
  groups: {
    [G.evals]: [U.ava, U.ben],
    [G.contractors]: [U.chen, U.dana],
    [G.allStaff]: [U.ava, U.ben, U.chen, U.dana, U.elif],
  },
  assigned: [G.evals, G.allStaff],
};
