import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { repoRoot } from './arm.js';

const azureYamlSchema = z.object({
  name: z.string(),
  infra: z.object({ provider: z.literal('bicep'), path: z.string(), module: z.string() }),
  services: z.object({
    api: z.object({
      project: z.string(),
      language: z.string(),
      host: z.string(),
      dist: z.string(),
      remoteBuild: z.boolean(),
    }),
  }),
  hooks: z.object({
    postprovision: z.object({
      shell: z.literal('sh'),
      run: z.string(),
      continueOnError: z.boolean(),
    }),
  }),
});

const azureYaml = azureYamlSchema.parse(parse(readFileSync(join(repoRoot, 'azure.yaml'), 'utf8')));

describe('azure.yaml', () => {
  it('provisions infra/main.bicep and deploys this project as a TypeScript Function App', () => {
    expect(azureYaml.infra).toEqual({ provider: 'bicep', path: 'infra', module: 'main' });
    expect(azureYaml.services.api).toEqual({
      project: '.',
      language: 'ts',
      host: 'function',
      dist: '.deploy',
      remoteBuild: false,
    });
    // azd runs the `package` script before it uploads `dist`: that script fills .deploy/.
    const scripts = (
      JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    expect(scripts.package).toBe('node scripts/package.mjs');
    // azd finds the app by this tag; main.bicep passes the service name to the module.
    const main = readFileSync(join(repoRoot, 'infra', 'main.bicep'), 'utf8');
    expect(main).toContain("azdServiceName: 'api'");
  });

  it('after provisioning, prints the Graph permission commands unless told to grant them', () => {
    const env = {
      PATH: process.env.PATH ?? '',
      AZURE_FUNCTION_IDENTITY_PRINCIPAL_ID: '11111111-1111-4111-8111-111111111111',
      ENTRA_CLIENT_ID: '22222222-2222-4222-8222-222222222222',
      SSO_REDIRECT_URI: 'https://func-abc.azurewebsites.net/api/sso/callback',
    };
    const hook = spawnSync('sh', ['-c', azureYaml.hooks.postprovision.run], {
      cwd: repoRoot,
      encoding: 'utf8',
      env,
    });
    expect(hook.status).toBe(0);
    expect(hook.stdout).toContain('# Dry run: nothing is changed.');
    expect(hook.stdout.split('\n').filter((line) => line.startsWith('+ az rest'))).toHaveLength(9);
  });
});
