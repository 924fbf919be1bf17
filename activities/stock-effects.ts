/**
 * What must follow a stock movement, wherever it was made (API or activity): low-stock alerts open or
 * close, and when stock went up, the SKU's restock dispatcher wakes the orders backordered on it.
 */
import type { Client } from '@temporalio/client';
import { renderLowStockAlert } from '../domain/notifications.js';
import { restockWorkflowId } from '../domain/order.js';
import { evaluateLowStock } from '../persistence/stock-alerts.js';
import { stockReplenishedSignal } from '../workflows/messages.js';
import { recordNotification } from './notifications.js';
import type { restockDispatcherWorkflow } from '../workflows/restock.js';

export interface StockEffectsOptions {
  temporal: Client;
  taskQueue: string;
  /** Threshold for SKUs without their own. */
  lowStockThreshold: number;
  operationsEmail: string;
}

export type StockEffects = ReturnType<typeof createStockEffects>;

export function createStockEffects(options: StockEffectsOptions) {
  return {
    async afterStockChange(skus: Iterable<string>, { increased }: { increased: boolean }): Promise<void> {
      for (const sku of new Set(skus)) {
        const alert = await evaluateLowStock(sku, options.lowStockThreshold);
        if (alert.change === 'opened') await notifyOperations(alert.alertId!, alert, options.operationsEmail);
        if (increased) {
          await options.temporal.workflow.signalWithStart<typeof restockDispatcherWorkflow>('restockDispatcherWorkflow', {
            workflowId: restockWorkflowId(sku),
            taskQueue: options.taskQueue,
            args: [sku],
            signal: stockReplenishedSignal,
            signalArgs: [],
          });
        }
      }
    },
  };
}

async function notifyOperations(alertId: string, alert: { sku: string; available: number; threshold: number }, recipient: string) {
  await recordNotification({ key: `stock:${alert.sku}:low:${alertId}`, event: 'low_stock', recipient, ...renderLowStockAlert(alert) });
}
