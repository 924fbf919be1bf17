/**
 * What must follow a stock movement, wherever it was made (API or activity): low-stock alerts open or
 * close, and when stock went up, the SKU's restock dispatcher wakes the orders backordered on it.
 */
import type { Client } from '@temporalio/client';
import { restockWorkflowId, WorkflowType } from '../contracts/ids.js';
import { lowStockAlertKey } from '../contracts/keys.js';
import { stockReplenishedSignal } from '../contracts/messages.js';
import { renderLowStockAlert } from '../domain/notifications.js';
import { evaluateLowStock } from '../persistence/stock-alerts.js';
import type { Mailer } from './mailer.js';
import { deliverNotification } from './notifications.js';

export interface StockEffectsOptions {
  temporal: Client;
  taskQueue: string;
  /** Threshold for SKUs without their own. */
  lowStockThreshold: number;
  operationsEmail: string;
  /** Low-stock alerts are emailed to `operationsEmail`. */
  mailer: Mailer;
}

export type StockEffects = ReturnType<typeof createStockEffects>;

export function createStockEffects(options: StockEffectsOptions) {
  return {
    /**
     * `availableAtLeast`: per SKU, what a location of it had available right after the change, when the
     * caller knows (a reservation does); it spares reading the SKU's availability while that is above the threshold.
     */
    async afterStockChange(
      skus: Iterable<string>,
      { increased, availableAtLeast }: { increased: boolean; availableAtLeast?: ReadonlyMap<string, number> },
    ): Promise<void> {
      for (const sku of new Set(skus)) {
        const alert = await evaluateLowStock(sku, options.lowStockThreshold, availableAtLeast?.get(sku));
        if (alert.change === 'opened') await notifyOperations(options.mailer, alert.alertId!, alert, options.operationsEmail);
        if (increased) {
          await options.temporal.workflow.signalWithStart(WorkflowType.restockDispatcher, {
            workflowId: restockWorkflowId(sku),
            taskQueue: options.taskQueue,
            staticSummary: `Restock dispatcher for ${sku}: wakes its backordered orders, oldest first`,
            args: [sku],
            signal: stockReplenishedSignal,
            signalArgs: [],
          });
        }
      }
    },
  };
}

/**
 * Only the caller that opened the alert gets here, once per episode, and the stock change it follows has
 * already happened: so a mail server that is down must not fail that change (an API request, or an
 * activity whose retry would find the alert open and not come back here). The notification then stays
 * `recorded` with the error on it.
 */
async function notifyOperations(
  mailer: Mailer,
  alertId: string,
  alert: { sku: string; available: number; threshold: number },
  recipient: string,
): Promise<void> {
  const key = lowStockAlertKey(alert.sku, alertId);
  try {
    await deliverNotification(mailer, { key, event: 'low_stock', recipient, ...renderLowStockAlert(alert) });
  } catch (error) {
    console.warn(`low-stock notification ${key} is recorded but could not be emailed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
