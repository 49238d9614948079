// Reading the ARM JSON that `bicep build` produces (languageVersion 2.0: resources keyed by
// symbolic name, modules as nested Microsoft.Resources/deployments with their own template).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const compiledTemplatePath = join(repoRoot, 'dist', 'infra', 'main.json');

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = Record<string, Json>;

export interface ArmResource {
  readonly symbolicName: string;
  readonly type: string;
  readonly body: JsonObject;
  readonly properties: JsonObject;
}

export interface ArmOutput {
  readonly name: string;
  readonly type: string;
  readonly value: Json;
}

/** One template: main.bicep, or a module nested in it. */
export interface ArmTemplate {
  /** `main`, or `main/<module symbolic name>`. */
  readonly path: string;
  readonly json: JsonObject;
  readonly resources: readonly ArmResource[];
  readonly outputs: readonly ArmOutput[];
  readonly modules: readonly ArmModule[];
}

export interface ArmModule {
  readonly symbolicName: string;
  /** Values main passes to the module's parameters. */
  readonly parameters: JsonObject;
  readonly template: ArmTemplate;
}

export function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value as text: strings as they are, anything else as JSON. */
export function text(value: Json | undefined): string {
  return typeof value === 'string' ? value : JSON.stringify(value ?? null);
}

export function objectAt(value: Json | undefined, ...path: string[]): JsonObject {
  let current = value;
  for (const key of path) {
    if (!isObject(current)) throw new Error(`no object at ${path.join('.')}`);
    current = current[key];
  }
  if (!isObject(current)) throw new Error(`no object at ${path.join('.')}`);
  return current;
}

function readTemplate(json: JsonObject, path: string): ArmTemplate {
  const rawResources = json.resources;
  const entries: [string, Json][] = Array.isArray(rawResources)
    ? rawResources.map((resource, index) => [String(index), resource])
    : isObject(rawResources)
      ? Object.entries(rawResources)
      : [];
  const resources: ArmResource[] = entries.map(([symbolicName, body]) => {
    if (!isObject(body) || typeof body.type !== 'string') {
      throw new Error(`${path}: resource ${symbolicName} has no type`);
    }
    return {
      symbolicName,
      type: body.type,
      body,
      properties: isObject(body.properties) ? body.properties : {},
    };
  });
  const modules: ArmModule[] = resources
    .filter((resource) => resource.type === 'Microsoft.Resources/deployments')
    .map((resource) => {
      const parameters = objectAt(resource.properties, 'parameters');
      const values: JsonObject = {};
      for (const [name, parameter] of Object.entries(parameters)) {
        values[name] = isObject(parameter) ? (parameter.value ?? null) : null;
      }
      return {
        symbolicName: resource.symbolicName,
        parameters: values,
        template: readTemplate(
          objectAt(resource.properties, 'template'),
          `${path}/${resource.symbolicName}`,
        ),
      };
    });
  const outputs: ArmOutput[] = Object.entries(isObject(json.outputs) ? json.outputs : {}).map(
    ([name, output]) => ({
      name,
      type: isObject(output) && typeof output.type === 'string' ? output.type : '?',
      value: isObject(output) ? (output.value ?? null) : null,
    }),
  );
  return { path, json, resources, outputs, modules };
}

export function parseTemplate(json: JsonObject): ArmTemplate {
  return readTemplate(json, 'main');
}

/** The template and every module in it, depth first. */
export function allTemplates(template: ArmTemplate): ArmTemplate[] {
  return [template, ...template.modules.flatMap((module) => allTemplates(module.template))];
}

export function resourcesOfType(
  template: ArmTemplate,
  type: string,
): { template: ArmTemplate; resource: ArmResource }[] {
  return allTemplates(template).flatMap((inner) =>
    inner.resources
      .filter((resource) => resource.type.toLowerCase() === type.toLowerCase())
      .map((resource) => ({ template: inner, resource })),
  );
}

export function onlyResourceOfType(template: ArmTemplate, type: string): ArmResource {
  const found = resourcesOfType(template, type).filter(
    ({ resource }) => resource.body.existing !== true,
  );
  if (found.length !== 1 || found[0] === undefined) {
    throw new Error(`expected exactly one ${type}, found ${found.length}`);
  }
  return found[0].resource;
}

export function moduleNamed(template: ArmTemplate, symbolicName: string): ArmModule {
  const found = template.modules.find((module) => module.symbolicName === symbolicName);
  if (!found) throw new Error(`no module ${symbolicName} in ${template.path}`);
  return found;
}

function newestBicepChange(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestBicepChange(path));
    else if (/\.(bicep|bicepparam|json)$/.test(entry.name))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Compiles infra/ first when dist/infra/main.json is missing or older than the sources. */
export function loadCompiledTemplate(): ArmTemplate {
  const stale =
    !existsSync(compiledTemplatePath) ||
    statSync(compiledTemplatePath).mtimeMs < newestBicepChange(join(repoRoot, 'infra'));
  if (stale) {
    const build = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'bicep.mjs'), 'build'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    if (build.status !== 0) {
      throw new Error(`node scripts/bicep.mjs build failed:\n${build.stdout}\n${build.stderr}`);
    }
  }
  return parseTemplate(JSON.parse(readFileSync(compiledTemplatePath, 'utf8')) as JsonObject);
}
