/** The admin API in process (`sim.admin`): changes to the directory, as an operator makes them in Entra. */
import { createFeedAdmin } from './feed-admin.js';
import type { TenantAdmin } from './simulated-tenant.js';
import type { TenantState } from './state.js';

export function createTenantAdmin(state: TenantState): TenantAdmin {
  return {
    addUser: (u) => state.directory.addUser(u),
    addGroup: (g) => state.directory.addGroup(g),
    addMember: (g, m) => {
      state.directory.addMember(g, m);
    },
    removeMember: (g, m) => {
      state.directory.removeMember(g, m);
    },
    assignGroup: (g, role) => {
      state.directory.requireGroup(g);
      return state.directory.assign(g, role);
    },
    unassignGroup: (g, role) => {
      state.directory.unassign(g, role);
    },
    assignUser: (u, role) => state.directory.assign(state.directory.requireUser(u).id, role),
    unassignUser: (u, role) => {
      state.directory.unassign(state.directory.requireUser(u).id, role);
    },
    renameGroup: (g, name) => {
      state.directory.renameGroup(g, name);
    },
    deleteGroup: (g, options) => {
      state.directory.deleteGroup(g, options);
    },
    deleteUser: (u) => {
      state.directory.deleteUser(u);
    },
    disableUser: (u) => {
      state.directory.setUserEnabled(u, false);
    },
    enableUser: (u) => {
      state.directory.setUserEnabled(u, true);
    },
    updateUser: (u, patch) => state.directory.updateUser(u, patch),
    getState: () => state.directory.snapshot(),
    reset: () => {
      state.resetDirectory();
    },
    ...createFeedAdmin(state.feeds),
  };
}
