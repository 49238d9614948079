/**
 * `.dev-stack.json`: what `npm start` is running (URLs, ports, pid, and the settings of the parts
 * it embedded), so that every other local command talks to that stack instead of starting one of
 * its own. Written once the stack is up, removed when it stops; a file whose process is gone is
 * treated as absent. It holds only the embedded parts' development values (the simulated tenant's
 * dev client secret, Azurite's published key), never a setting from local.settings.json.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { z } from 'zod';

const stackRecordSchema = z.object({
  version: z.literal(1),
  pid: z.number().int(),
  startedAt: z.string(),
  functions: z.object({ url: z.string(), host: z.enum(['func', 'stand-in']) }),
  /** Null when local.settings.json names a real tenant. */
  tenant: z
    .object({
      url: z.string(),
      adminPage: z.string(),
      tenantId: z.string(),
      stateFile: z.string(),
      seedFile: z.string(),
      caPath: z.string(),
      /** ENTRA_*, GRAPH_*, NODE_EXTRA_CA_CERTS for a process that talks to it. */
      settings: z.record(z.string(), z.string()),
    })
    .nullable(),
  /** Null when Table Storage is configured. */
  storage: z
    .object({
      location: z.string(),
      blob: z.string(),
      queue: z.string(),
      table: z.string(),
      tablesConnectionString: z.string(),
    })
    .nullable(),
});

export type StackRecord = z.infer<typeof stackRecordSchema>;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running stack, or undefined when none is (no file, an unreadable one, or its process gone). */
export function readRunningStack(stackFile: string): StackRecord | undefined {
  let text: string;
  try {
    text = readFileSync(stackFile, 'utf8');
  } catch {
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = stackRecordSchema.safeParse(json);
  if (!parsed.success || !isAlive(parsed.data.pid)) return undefined;
  return parsed.data;
}

export function writeStackFile(stackFile: string, record: StackRecord): void {
  const temporary = `${stackFile}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, stackFile);
}

/** Removes the file if it is still this process's (a newer stack may have replaced it). */
export function removeStackFile(stackFile: string, pid = process.pid): void {
  try {
    const current = JSON.parse(readFileSync(stackFile, 'utf8')) as { pid?: unknown };
    if (current.pid === pid) rmSync(stackFile, { force: true });
  } catch {
    // already gone
  }
}

export const NO_STACK_MESSAGE =
  'No local stack is running: start one with `npm start` (in another terminal), then run this again.';
