#!/usr/bin/env node
// Compiles and lints infra/ with the Bicep CLI and fails on any warning or error.
//
//   node scripts/bicep.mjs install|build|lint|check [--pinned]
//   node scripts/bicep.mjs snapshot <file.bicepparam>... [--pinned]
//
// snapshot evaluates each parameters file against a made-up subscription and resource group
// (nothing is sent to Azure) and writes <file>.snapshot.json next to it: the resources a
// deployment would create, with conditions, loops and most expressions resolved. The template
// tests read it.
//
// The CLI is, in order: `bicep` on the PATH, the one `az bicep install` manages when `az` is on
// the PATH, else Azure.Bicep.CommandLine.<platform> restored from NuGet at PINNED_BICEP_VERSION
// into .tools/ (needs the dotnet SDK). --pinned (CI) skips the PATH so results do not depend on
// whatever happens to be installed.
import { spawnSync } from 'node:child_process';
import console from 'node:console';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

export const PINNED_BICEP_VERSION = '0.49.2';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const mainTemplate = join(repoRoot, 'infra', 'main.bicep');
const mainParameters = join(repoRoot, 'infra', 'main.bicepparam');
export const compiledTemplatePath = join(repoRoot, 'dist', 'infra', 'main.json');
const toolsDir = join(repoRoot, '.tools');

// main.bicepparam reads these with readEnvironmentVariable() and no default, so that a real
// deployment cannot start without them. Compiling it needs some value: placeholders, used only
// for variables that are not set.
const placeholderEnvironment = {
  AZURE_ENV_NAME: 'ci',
  ENTRA_CLIENT_ID: '00000000-0000-0000-0000-000000000000',
  ENTRA_CLIENT_SECRET: 'placeholder-client-secret',
  SESSION_SECRET: 'placeholder-session-secret-of-at-least-32-characters',
  POST_LOGIN_REDIRECT_URL: 'https://mishikallm.example.com/ui',
};

function nugetPackageForPlatform() {
  const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
  if (process.platform === 'win32')
    return { id: `Azure.Bicep.CommandLine.win-${arch}`, exe: 'bicep.exe' };
  if (process.platform === 'darwin')
    return { id: `Azure.Bicep.CommandLine.osx-${arch}`, exe: 'bicep' };
  return { id: `Azure.Bicep.CommandLine.linux-${arch}`, exe: 'bicep' };
}

function findOnPath(command) {
  const extensions = process.platform === 'win32' ? ['.exe', '.cmd', ''] : [''];
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    if (!directory) continue;
    for (const extension of extensions) {
      const candidate = join(directory, command + extension);
      if (existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    ...options,
  });
  if (result.error) throw result.error;
  return result;
}

function bicepFromAzureCli(az) {
  // `az bicep install` is a no-op when the CLI it manages is already present.
  const install = run(az, ['bicep', 'install'], { stdio: 'inherit' });
  if (install.status !== 0) return undefined;
  const configDir = process.env.AZURE_CONFIG_DIR ?? join(homedir(), '.azure');
  const exe = join(configDir, 'bin', process.platform === 'win32' ? 'bicep.exe' : 'bicep');
  return existsSync(exe) ? exe : undefined;
}

function bicepFromNuGet() {
  const { id, exe } = nugetPackageForPlatform();
  const packagesDir = join(toolsDir, 'nuget');
  const executable = join(packagesDir, id.toLowerCase(), PINNED_BICEP_VERSION, 'tools', exe);
  if (!existsSync(executable)) {
    const dotnet = findOnPath('dotnet');
    if (!dotnet) {
      throw new Error(
        'No Bicep CLI found: install `bicep` or `az`, or the .NET SDK so that the pinned CLI can be restored from NuGet.',
      );
    }
    const projectDir = join(toolsDir, 'bicep-restore');
    mkdirSync(projectDir, { recursive: true });
    // The SDK's own target framework needs no extra targeting pack from NuGet.
    const sdkMajor = /^(\d+)\./.exec(run(dotnet, ['--version']).stdout.trim())?.[1] ?? '8';
    // PackageDownload fetches a package without requiring it to be compatible with the project.
    writeFileSync(
      join(projectDir, 'bicep-restore.csproj'),
      `<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net${sdkMajor}.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="${id}" Version="[${PINNED_BICEP_VERSION}]" /></ItemGroup>
</Project>
`,
    );
    console.log(
      `Restoring ${id} ${PINNED_BICEP_VERSION} from NuGet into ${relative(repoRoot, packagesDir)}/`,
    );
    const restore = run(
      dotnet,
      [
        'restore',
        join(projectDir, 'bicep-restore.csproj'),
        '--packages',
        packagesDir,
        '--verbosity',
        'quiet',
      ],
      {
        stdio: 'inherit',
        env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' },
      },
    );
    if (restore.status !== 0 || !existsSync(executable)) {
      throw new Error(
        `dotnet restore of ${id} ${PINNED_BICEP_VERSION} failed (exit ${restore.status}).`,
      );
    }
  }
  // NuGet does not always keep the execute bit.
  if (process.platform !== 'win32') chmodSync(executable, 0o755);
  return executable;
}

export function resolveBicep({ pinned = false } = {}) {
  if (!pinned) {
    const onPath = findOnPath('bicep');
    if (onPath) return { executable: onPath, source: 'PATH' };
    const az = findOnPath('az');
    if (az) {
      const managed = bicepFromAzureCli(az);
      if (managed) return { executable: managed, source: 'az bicep' };
    }
  }
  return { executable: bicepFromNuGet(), source: `NuGet (pinned ${PINNED_BICEP_VERSION})` };
}

function parseSarif(text) {
  const results = [];
  const start = text.indexOf('{');
  if (start < 0) return results;
  let sarif;
  try {
    sarif = JSON.parse(text.slice(start));
  } catch {
    return results;
  }
  for (const run of sarif.runs ?? []) {
    for (const result of run.results ?? []) {
      const location = result.locations?.[0]?.physicalLocation;
      const file = location?.artifactLocation?.uri
        ? relative(repoRoot, fileURLToPath(location.artifactLocation.uri))
        : '?';
      results.push({
        // SARIF's default level is warning; bicep leaves it out for warnings.
        level: result.level ?? 'warning',
        rule: result.ruleId ?? '?',
        where: `${file}:${location?.region?.startLine ?? '?'}:${location?.region?.charOffset ?? '?'}`,
        message: result.message?.text ?? '',
      });
    }
  }
  return results;
}

/** Runs one bicep command; returns the number of warnings and errors it reported. */
function runBicep(bicep, label, args, env = process.env) {
  const result = run(bicep.executable, [...args, '--diagnostics-format', 'sarif'], {
    cwd: repoRoot,
    env,
  });
  const diagnostics = [...parseSarif(result.stdout), ...parseSarif(result.stderr)];
  const failing = diagnostics.filter((d) => d.level === 'warning' || d.level === 'error');
  for (const d of diagnostics)
    console.log(`  ${d.level.toUpperCase()} ${d.rule} ${d.where} ${d.message}`);
  if (result.status !== 0 && failing.length === 0) {
    // A failure that did not come as SARIF (bad arguments, crash): show what bicep said.
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
    console.log(`${label}: bicep exited ${result.status}`);
    return 1;
  }
  console.log(`${label}: ${failing.length === 0 ? 'ok' : `${failing.length} warning(s)/error(s)`}`);
  return failing.length;
}

function environmentWithPlaceholders() {
  const env = { ...process.env };
  for (const [name, value] of Object.entries(placeholderEnvironment)) {
    if (!env[name]) env[name] = value;
  }
  return env;
}

function build(bicep) {
  mkdirSync(dirname(compiledTemplatePath), { recursive: true });
  let problems = runBicep(bicep, 'build infra/main.bicep', [
    'build',
    mainTemplate,
    '--outfile',
    compiledTemplatePath,
  ]);
  // The compiled parameters may hold real secrets from the environment: validate, then discard.
  const scratch = mkdtempSync(join(tmpdir(), 'bicepparam-'));
  try {
    problems += runBicep(
      bicep,
      'build-params infra/main.bicepparam',
      ['build-params', mainParameters, '--outfile', join(scratch, 'main.parameters.json')],
      environmentWithPlaceholders(),
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return problems;
}

function lint(bicep) {
  return (
    runBicep(bicep, 'lint infra/main.bicep', ['lint', mainTemplate]) +
    runBicep(
      bicep,
      'lint infra/main.bicepparam',
      ['lint', mainParameters],
      environmentWithPlaceholders(),
    )
  );
}

/** Where snapshots pretend to deploy: fixed, so that generated names and ids are stable. */
export const SNAPSHOT_TARGET = {
  tenantId: '00000000-0000-0000-0000-00000000000a',
  subscriptionId: '00000000-0000-0000-0000-00000000000b',
  resourceGroup: 'rg-snapshot',
  location: 'westeurope',
};

function snapshot(bicep, files) {
  if (files.length === 0) {
    console.error('snapshot: name at least one .bicepparam file');
    return 1;
  }
  const target = [
    '--mode',
    'overwrite',
    '--tenant-id',
    SNAPSHOT_TARGET.tenantId,
    '--subscription-id',
    SNAPSHOT_TARGET.subscriptionId,
    '--resource-group',
    SNAPSHOT_TARGET.resourceGroup,
    '--location',
    SNAPSHOT_TARGET.location,
  ];
  let problems = 0;
  for (const file of files) {
    // snapshot takes no --diagnostics-format: its errors come as text.
    const result = run(bicep.executable, ['snapshot', resolve(file), ...target], { cwd: repoRoot });
    const label = `snapshot ${relative(repoRoot, resolve(file))}`;
    if (result.status !== 0 || /(Error|Warning) BCP\d+/.test(result.stdout + result.stderr)) {
      process.stdout.write(result.stdout);
      process.stderr.write(result.stderr);
      console.log(`${label}: bicep exited ${result.status}`);
      problems += 1;
    } else console.log(`${label}: ok`);
  }
  return problems;
}

function main() {
  const [command, ...rest] = process.argv.slice(2);
  const flags = rest.filter((argument) => argument.startsWith('--'));
  const files = rest.filter((argument) => !argument.startsWith('--'));
  const commands = {
    install: () => 0,
    build,
    lint,
    check: (b) => build(b) + lint(b),
    snapshot: (b) => snapshot(b, files),
  };
  const action = command ? commands[command] : undefined;
  if (!action) {
    console.error(
      'usage: node scripts/bicep.mjs install|build|lint|check [--pinned] | snapshot <file.bicepparam>...',
    );
    return 2;
  }
  const started = Date.now();
  const bicep = resolveBicep({ pinned: flags.includes('--pinned') });
  const version = run(bicep.executable, ['--version']).stdout.trim();
  console.log(`${version} from ${bicep.source}: ${bicep.executable}`);
  const problems = action(bicep);
  console.log(
    `bicep ${command}: ${problems === 0 ? 'clean' : `${problems} problem(s)`} in ${Date.now() - started} ms`,
  );
  return problems === 0 ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 2;
  }
}
