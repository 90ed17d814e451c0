import type { Request, Response } from '@google-cloud/functions-framework';
import { problem } from '../../../schemas/index.ts';
import type { Logger } from '../logger.ts';
import { isDependencyOutage } from '../resilience.ts';

/**
 * Turns a job into the HTTP function Cloud Scheduler calls (`POST` with an OIDC token; the function is not public):
 * one run per call, answering its summary as JSON. A failure answers 503 or 500, so Cloud Scheduler's retry policy
 * and the next tick run it again; a job only does what is still to do, so runs that overlap or repeat are harmless.
 */
export function scheduledJob<S>(name: string, run: (ctx: { now: Date; log: Logger }) => Promise<S>, options: { log: () => Logger; clock?: () => Date }) {
  return async (req: Request, res: Response): Promise<void> => {
    const log = options.log();
    if (req.method !== 'POST') {
      res.status(405).set({ Allow: 'POST' }).type('application/problem+json').send(JSON.stringify(problem('method-not-allowed', { detail: `${name} runs on POST` })));
      return;
    }
    const started = performance.now();
    try {
      const summary = await run({ now: options.clock?.() ?? new Date(), log });
      log.info({ job: name, summary, ms: Math.round(performance.now() - started) }, `${name} ran`);
      res.status(200).type('application/json').send(JSON.stringify(summary));
    } catch (err) {
      const outage = isDependencyOutage(err);
      log.error({ err, job: name }, `${name} failed; the next run tries again`);
      const body = problem(outage ? 'service-unavailable' : 'internal', { detail: `${name} failed: ${(err as Error).message}` });
      res.status(body.status).set(outage ? { 'Retry-After': '5' } : {}).type('application/problem+json').send(JSON.stringify(body));
    }
  };
}
