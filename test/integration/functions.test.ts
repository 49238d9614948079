import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { health } from '../../functions/health.js';
import { functionDefinitions } from '../../functions/index.js';
import { startLocalHost } from '../../dev/host.js';
import { createServices, useServices } from '../../shared/services.js';
import { loadSettings } from '../../shared/config/settings.js';
import { invoke } from '../support/invoke.js';
import { testServices, TEST_CLIENT_ID, TEST_TENANT_ID } from '../support/services.js';

afterEach(() => {
  useServices(undefined);
});

describe('the function registrations', () => {
  it('list every function module exactly once, with unique names and routes', () => {
    const modules = readdirSync(new URL('../../functions/', import.meta.url))
      .filter((file) => file.endsWith('.ts'))
      .filter(
        (file) =>
          !['index.ts', 'registry.ts', 'http.ts', 'app.ts', 'load-settings.ts'].includes(file),
      );
    expect(functionDefinitions.length).toBe(modules.length);
    const names = functionDefinitions.map((definition) => definition.name);
    expect(new Set(names).size).toBe(names.length);
    const routes = functionDefinitions.flatMap((definition) =>
      definition.trigger === 'http'
        ? definition.methods.map((method) => `${method} ${definition.route}`)
        : [],
    );
    expect(new Set(routes).size).toBe(routes.length);
  });

  it('declare the health probe as an anonymous GET on /api/health', () => {
    expect(functionDefinitions).toContainEqual(
      expect.objectContaining({
        trigger: 'http',
        name: 'health',
        route: 'health',
        methods: ['GET'],
        authLevel: 'anonymous',
      }),
    );
  });

  it('are not registered when a setting is bad: the entry point stops start-up first', () => {
    const entry = new URL('../../dist/functions/app.js', import.meta.url).href;
    const result = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `import '${entry}';`],
      {
        env: { PATH: process.env.PATH ?? '', ENTRA_TENANT_ID: 'not-a-guid' },
        encoding: 'utf8',
      },
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('ENTRA_TENANT_ID = "not-a-guid": expected a GUID');
    expect(result.stderr).toContain('ENTRA_CLIENT_ID = (not set)');
    expect(result.stderr).not.toContain('register function');
  });

  it('never run timers on startup in production', () => {
    for (const definition of functionDefinitions) {
      if (definition.trigger === 'timer') expect(definition.runOnStartup).toBe(false);
    }
  });
});

describe('GET /api/health', () => {
  it('answers 200 with the tables it reached', async () => {
    useServices(testServices());
    const response = await invoke(health, { path: 'health' });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({
      status: 'ok',
      settings: { loaded: true },
      tables: { reachable: true },
    });
    // Anonymous: which tenant and which storage stay out of the answer.
    expect(response.text).not.toContain(TEST_TENANT_ID);
  });

  it('answers 503 naming the bad setting when settings do not load', async () => {
    const previous = process.env.ENTRA_TENANT_ID;
    process.env.ENTRA_TENANT_ID = 'not-a-guid';
    try {
      const response = await invoke(health, { path: 'health' });
      expect(response.status).toBe(503);
      expect(response.json).toEqual({
        status: 'unavailable',
        reason: 'settings are invalid',
        settings: { loaded: false },
        correlationId: 'test-invocation',
      });
      // The bad setting is named where the operator looks: the log, under the correlation id.
      expect(response.text).not.toContain('not-a-guid');
      expect(response.logs.join('\n')).toContain('[test-invocation]');
      expect(response.logs.join('\n')).toContain('ENTRA_TENANT_ID = "not-a-guid"');
    } finally {
      if (previous === undefined) delete process.env.ENTRA_TENANT_ID;
      else process.env.ENTRA_TENANT_ID = previous;
    }
  });

  it('answers 503 when Table Storage cannot be reached', async () => {
    const settings = loadSettings({
      ENTRA_TENANT_ID: TEST_TENANT_ID,
      ENTRA_CLIENT_ID: TEST_CLIENT_ID,
      ENTRA_CLIENT_SECRET: 'x',
      // Nothing listens on port 9 (discard) on loopback.
      TABLES_CONNECTION_STRING:
        'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;',
    });
    useServices(createServices(settings));
    const response = await invoke(health, { path: 'health' });
    expect(response.status).toBe(503);
    expect(response.json).toMatchObject({
      status: 'unavailable',
      reason: 'Table Storage is not reachable',
      tables: { reachable: false },
    });
    expect(response.text).not.toContain('127.0.0.1');
    expect(response.text).not.toContain('devstoreaccount1');
  });
});

describe('the local host', () => {
  it('serves the registered functions under /api through the real request classes', async () => {
    useServices(testServices());
    const host = await startLocalHost({
      definitions: functionDefinitions,
      port: 0,
      timers: false,
      log: () => undefined,
    });
    try {
      const ok = await fetch(`${host.url}/api/health`);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ status: 'ok' });
      expect((await fetch(`${host.url}/api/nowhere`)).status).toBe(404);
      expect((await fetch(`${host.url}/`)).status).toBe(404);
      expect((await fetch(`${host.url}/api/health`, { method: 'DELETE' })).status).toBe(405);
    } finally {
      await host.stop();
    }
  });

  it('serves the local home page at / when given one', async () => {
    const host = await startLocalHost({
      definitions: [],
      port: 0,
      homePage: '<h1>home</h1>',
      log: () => undefined,
    });
    try {
      const response = await fetch(`${host.url}/`);
      expect(response.headers.get('content-type')).toContain('text/html');
      expect(await response.text()).toBe('<h1>home</h1>');
    } finally {
      await host.stop();
    }
  });

  it('fires a timer function on its NCRONTAB schedule, resolving %SETTING%', async () => {
    const fired: string[] = [];
    const host = await startLocalHost({
      definitions: [
        {
          trigger: 'timer',
          name: 'every-second',
          schedule: '%TEST_SCHEDULE%',
          runOnStartup: false,
          handler: (timer) => {
            fired.push(timer.scheduleStatus.next);
          },
        },
      ],
      port: 0,
      settings: { TEST_SCHEDULE: '* * * * * *' },
      log: () => undefined,
    });
    try {
      await expect.poll(() => fired.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(1);
    } finally {
      await host.stop();
    }
  });
});
