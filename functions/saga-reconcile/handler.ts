import type { Firestore } from '@google-cloud/firestore';
import type { Knex } from 'knex';
import type { Logger } from '../lib/logger.ts';
import type { PaymentProvider } from '../lib/payments/index.ts';
import { reconcile, type ReconcileReport } from '../lib/reconcile.ts';

/**
 * Reconciliation on a schedule: checks the last day's orders against the payment provider, the stock and the emails,
 * and writes each discrepancy at alert severity with what to do (an alert policy on that severity pages a person).
 */
export function createScheduledReconcile(deps: { db: Knex; firestore: Firestore; provider: PaymentProvider; windowHours: number; graceSeconds: number }) {
  return async ({ now, log }: { now: Date; log: Logger }): Promise<ReconcileReport['checked'] & { discrepancies: number }> => {
    const report = await reconcile({ ...deps, now, since: new Date(now.getTime() - deps.windowHours * 3_600_000) });
    for (const d of report.discrepancies) log.alert({ discrepancy: d.kind, orderId: d.orderId, detail: d.detail, action: d.action }, `books do not balance: ${d.detail}; ${d.action}`);
    return { ...report.checked, discrepancies: report.discrepancies.length };
  };
}
