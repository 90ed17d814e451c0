import { spawn } from 'node:child_process';
import { phases, shellLine, type PlannedCommand, type PlannedStep } from './plan.ts';

/** What running one command gave. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command (argv[0] is the program); resolves with its exit code and output. */
export function execute(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => resolve({ code: 127, stdout, stderr: `${stderr}${err.message}` }));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/**
 * True when a create failed only because what it creates is there already. Cloud Storage answers a second create of
 * one's own bucket with 409 "…you already own it"; a name another project holds is a 409 too, and a real failure.
 */
export const alreadyExists = (result: CommandResult) =>
  result.code !== 0 && /already exists|ALREADY_EXISTS|you already own it/i.test(result.stderr) && !/PERMISSION_DENIED|INVALID_ARGUMENT|ABORTED/.test(result.stderr);

/** A command of the plan that failed: the command, what gcloud said, and what to do. */
export class DeployFailed extends Error {}

/**
 * Runs the plan phase by phase. In a phase, commands on different resources run side by side (up to `parallel`), and
 * commands on one resource one after another (an IAM policy is read, changed and written back). A create that meets
 * an existing resource runs its update instead, so a second deploy converges. The first failure stops the deploy.
 */
export async function runPlan(
  plan: { commands: PlannedCommand[]; steps: PlannedStep[] },
  options: { env: NodeJS.ProcessEnv; parallel: number; progress: (line: string) => void; runStep?: (step: PlannedStep) => Promise<void> },
): Promise<{ created: number; applied: number; updated: number; unchanged: number }> {
  // created: a create made something new; applied: a command that is create-or-update by nature (deploy, binding)
  // ran; updated: a create met what exists and its update ran; unchanged: it met what exists and has no update.
  const tally = { created: 0, applied: 0, updated: 0, unchanged: 0 };
  let done = 0;
  const total = plan.commands.length;
  const one = async (command: PlannedCommand) => {
    const result = await execute(command.argv, options.env);
    let outcome: keyof typeof tally = command.argv.includes('create') ? 'created' : 'applied';
    if (result.code !== 0) {
      if (!alreadyExists(result)) {
        throw new DeployFailed(
          `This command failed (exit ${result.code}):\n  ${shellLine(command.argv)}\n${result.stderr.trim().split('\n').slice(-8).join('\n')}\n` +
            'Fix what it says (a missing permission or API, a quota, a wrong flag value), then run the deploy again: it creates what is missing and updates what differs.',
        );
      }
      if (command.update) {
        const updated = await execute(command.update, options.env);
        if (updated.code !== 0) {
          throw new DeployFailed(`This update failed (exit ${updated.code}):\n  ${shellLine(command.update)}\n${updated.stderr.trim().split('\n').slice(-8).join('\n')}\nFix it and run the deploy again.`);
        }
        outcome = 'updated';
      } else outcome = 'unchanged';
    }
    tally[outcome]++;
    options.progress(`[${String(++done).padStart(String(total).length)}/${total}] ${outcome.padEnd(9)} ${command.why}`);
  };
  for (const phase of phases) {
    for (const step of plan.steps.filter((s) => s.before === phase)) {
      options.progress(`… ${step.description}`);
      await options.runStep?.(step);
    }
    const byResource = new Map<string, PlannedCommand[]>();
    for (const c of plan.commands.filter((c) => c.phase === phase)) byResource.set(c.resource, [...(byResource.get(c.resource) ?? []), c]);
    // Longest chains first (the project's IAM policy takes one binding at a time): they set how long a phase takes.
    const queues = [...byResource.values()].sort((a, b) => b.length - a.length);
    let failure: unknown = null;
    await Promise.all(
      Array.from({ length: Math.min(options.parallel, queues.length) }, async () => {
        for (let queue = queues.shift(); queue && failure === null; queue = queues.shift()) {
          for (const c of queue) {
            if (failure !== null) return;
            await one(c).catch((err: unknown) => (failure ??= err));
          }
        }
      }),
    );
    if (failure !== null) throw failure;
  }
  return tally;
}
