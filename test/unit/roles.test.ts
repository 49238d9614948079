import { describe, expect, it, vi } from 'vitest';
import {
  appRoleValuesOf,
  entraRoleOf,
  isConsoleAdmin,
  unmappedRoleReporter,
} from '../../shared/auth/roles.js';

const MAPPINGS = { 'LLM.Admin': 'proxy_admin', 'LLM.Viewer': 'internal_user_viewer' } as const;

describe('entraRoleOf', () => {
  it('maps a value that is a role name to that role, without any mapping', () => {
    for (const role of [
      'proxy_admin',
      'proxy_admin_viewer',
      'internal_user',
      'internal_user_viewer',
    ] as const) {
      expect(entraRoleOf([role], {})).toEqual({ role, unmappedValues: [] });
    }
  });

  it('takes the most privileged role: proxy_admin > proxy_admin_viewer > internal_user > internal_user_viewer', () => {
    expect(entraRoleOf(['internal_user_viewer', 'internal_user'], {}).role).toBe('internal_user');
    expect(entraRoleOf(['internal_user', 'proxy_admin_viewer'], {}).role).toBe(
      'proxy_admin_viewer',
    );
    expect(entraRoleOf(['proxy_admin_viewer', 'LLM.Admin', 'internal_user'], MAPPINGS).role).toBe(
      'proxy_admin',
    );
  });

  it('maps other values through role_mappings', () => {
    expect(entraRoleOf(['LLM.Viewer'], MAPPINGS)).toEqual({
      role: 'internal_user_viewer',
      unmappedValues: [],
    });
  });

  it('lets a mapping win over a value that is a role name', () => {
    expect(entraRoleOf(['proxy_admin'], { proxy_admin: 'internal_user' }).role).toBe(
      'internal_user',
    );
  });

  it('ignores unknown values and reports each once', () => {
    expect(entraRoleOf(['Reader', 'internal_user', 'Reader', 'Proxy_Admin'], MAPPINGS)).toEqual({
      role: 'internal_user',
      unmappedValues: ['Reader', 'Proxy_Admin'],
    });
  });

  it('answers undefined (the default role) when nothing maps, or there are no roles', () => {
    expect(entraRoleOf([], MAPPINGS)).toEqual({ role: undefined, unmappedValues: [] });
    expect(entraRoleOf(['Reader'], {}).role).toBeUndefined();
  });

  it('does not read inherited properties as mappings', () => {
    expect(entraRoleOf(['toString', 'constructor'], {}).role).toBeUndefined();
  });
});

describe('appRoleValuesOf', () => {
  const definitions = [
    { id: 'A1B2C3D4-0000-4000-8000-000000000001', value: 'proxy_admin', isEnabled: true },
    { id: 'a1b2c3d4-0000-4000-8000-000000000002', value: 'LLM.Old', isEnabled: false },
    { id: 'a1b2c3d4-0000-4000-8000-000000000003', value: null, isEnabled: true },
  ];

  it('turns role ids into values, skipping Default Access, unknown, disabled and valueless roles', () => {
    expect(
      appRoleValuesOf(
        [
          '00000000-0000-0000-0000-000000000000',
          'a1b2c3d4-0000-4000-8000-000000000001',
          'a1b2c3d4-0000-4000-8000-000000000002',
          'a1b2c3d4-0000-4000-8000-000000000003',
          'a1b2c3d4-0000-4000-8000-00000000dead',
          'A1B2C3D4-0000-4000-8000-000000000001',
        ],
        definitions,
      ),
    ).toEqual(['proxy_admin']);
  });
});

describe('isConsoleAdmin', () => {
  const access = { roleMappings: MAPPINGS, consoleAdminRole: 'proxy_admin' };

  it('is a user whose Entra role is proxy_admin, by name or by mapping', () => {
    expect(isConsoleAdmin(['proxy_admin'], access)).toBe(true);
    expect(isConsoleAdmin(['LLM.Admin'], access)).toBe(true);
    expect(isConsoleAdmin(['internal_user', 'LLM.Viewer'], access)).toBe(false);
  });

  it('or one holding the app role CONSOLE_ADMIN_ROLE names', () => {
    expect(
      isConsoleAdmin(['Console.Admin'], { ...access, consoleAdminRole: 'Console.Admin' }),
    ).toBe(true);
  });
});

describe('unmappedRoleReporter', () => {
  it('passes each value on once', () => {
    const report = vi.fn();
    const reportUnmapped = unmappedRoleReporter(report);
    reportUnmapped(['Reader', 'Writer']);
    reportUnmapped(['Reader']);
    expect(report.mock.calls).toEqual([['Reader'], ['Writer']]);
  });
});
