/**
 * The reconciliation from the command line: the same code as the timer function.
 *   --dry-run                  print the plan, write nothing
 *   --json                     print the run record (and the plan) as JSON
 *   --max-removals N           this run's mass-removal limit (how an operator releases a hold)
 *   --allow-empty-assignments  archive every synced team if no group is assigned
 *   --delta                    run one delta round (what the delta timer runs) instead
 *   --summary                  counts per kind of change instead of one line per change
 */
import { parseArgs } from 'node:util';
import { loadSettings } from '../shared/config/settings.js';
import { describeError, isServiceError } from '../shared/errors.js';
import { printable } from '../shared/printable.js';
import { createServices, type Services } from '../shared/services.js';
import { deltaRound } from '../shared/sync/delta-round.js';
import { deltaRoundLine } from '../shared/sync/delta-report.js';
import { reconcile } from '../shared/sync/reconcile.js';
import { teamOf, userOf } from '../shared/sync/operations.js';
import { planNames } from '../shared/sync/plan-names.js';
import { planText, runLine } from '../shared/sync/report.js';

const usage = `Usage: npm run sync -- [--dry-run] [--summary] [--json] [--max-removals N] [--allow-empty-assignments]
       npm run sync -- --delta [--json]`;

function parseArguments() {
  try {
    return parseArgs({
      options: {
        'dry-run': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        'max-removals': { type: 'string' },
        'allow-empty-assignments': { type: 'boolean', default: false },
        delta: { type: 'boolean', default: false },
        summary: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    console.error(`${describeError(error)}\n${usage}`);
    process.exit(2);
  }
}

async function main(): Promise<number> {
  const args = parseArguments();
  if (args.help) {
    console.log(usage);
    return 0;
  }
  const maxRemovalsText = args['max-removals'];
  const maxMembershipRemovals = maxRemovalsText === undefined ? undefined : Number(maxRemovalsText);
  if (
    maxMembershipRemovals !== undefined &&
    (!Number.isInteger(maxMembershipRemovals) || maxMembershipRemovals < 0)
  ) {
    console.error(
      `--max-removals takes a whole number >= 0, not "${maxRemovalsText ?? ''}"\n${usage}`,
    );
    return 2;
  }

  let services;
  try {
    services = createServices(loadSettings());
  } catch (error) {
    console.error(describeError(error));
    return 2;
  }

  if (args.delta) return runDeltaRound(services, args.json);

  const showProgress = !args.json && process.stderr.isTTY;
  try {
    const { record, plan } = await reconcile(services, {
      trigger: 'cli',
      dryRun: args['dry-run'],
      allowEmptyAssignments: args['allow-empty-assignments'],
      ...(maxMembershipRemovals === undefined ? {} : { maxMembershipRemovals }),
      ...(showProgress
        ? {
            onProgress: (done: number, total: number) => {
              process.stderr.write(`\rgroups read: ${done} of ${total}`);
              if (done === total) process.stderr.write('\n');
            },
          }
        : {}),
    });
    if (args.json) {
      const changes = plan?.operations.map((operation) => ({
        kind: operation.kind,
        teamId: teamOf(operation),
        userId: userOf(operation),
        reason: operation.reason,
      }));
      console.log(
        JSON.stringify(
          { dryRun: args['dry-run'], record, ...(args['dry-run'] ? { changes } : {}) },
          null,
          2,
        ),
      );
    } else {
      if (args['dry-run']) console.log('Dry run: nothing was written.');
      if (plan !== undefined) {
        const names = args.summary ? undefined : await planNames(plan, services.repository);
        console.log(
          planText(plan, record, { summaryOnly: args.summary, ...(names ? { names } : {}) }),
        );
      }
      console.log(runLine(record));
    }
    return record.outcome === 'partial' ? 1 : 0;
  } catch (error) {
    const code = isServiceError(error) ? error.code : 'internal';
    if (args.json)
      console.log(JSON.stringify({ error: { code, message: describeError(error) } }, null, 2));
    else console.error(`Reconciliation failed (${code}): ${printable(describeError(error))}`);
    return 1;
  }
}

async function runDeltaRound(services: Services, json: boolean): Promise<number> {
  try {
    const record = await deltaRound(services);
    console.log(json ? JSON.stringify({ deltaRound: record }, null, 2) : deltaRoundLine(record));
    return record.outcome === 'partial' ? 1 : 0;
  } catch (error) {
    const code = isServiceError(error) ? error.code : 'internal';
    if (json)
      console.log(JSON.stringify({ error: { code, message: describeError(error) } }, null, 2));
    else console.error(`Delta round failed (${code}): ${printable(describeError(error))}`);
    return 1;
  }
}

process.exitCode = await main();
