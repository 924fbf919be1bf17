/**
 * One dispatcher per SKU (workflow id `restock-<sku>`), started or signalled whenever that SKU's stock
 * goes up. It wakes the orders backordered on the SKU oldest first, one at a time, each trying its
 * reservation before the next is woken, so stock goes to the orders that waited longest.
 */
import { condition, continueAsNew, proxyActivities, setHandler } from '@temporalio/workflow';
import type { OrderActivities } from '../activities/index.js';
import { stockReplenishedSignal } from '../contracts/messages.js';
import { setVersioningBehavior } from './versioning.js';

const { listBackorderedOrders, retryBackorderedOrder } = proxyActivities<OrderActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Rounds before the history is handed to a fresh run. */
const ROUNDS_PER_RUN = 100;

// A dispatcher idles out within minutes, but one whose SKU keeps being restocked goes on (continuing as new):
// pinned, it would keep an old build from draining. It moves to the current build instead, so a change to it
// needs `patched()`.
setVersioningBehavior('AUTO_UPGRADE', restockDispatcherWorkflow);

export async function restockDispatcherWorkflow(sku: string): Promise<void> {
  let replenishments = 0;
  setHandler(stockReplenishedSignal, () => void replenishments++);
  let handled = 0;
  for (let round = 0; round < ROUNDS_PER_RUN; round++) {
    // Idle for a while: end; the next replenishment starts a new run (signal-with-start).
    if (!(await condition(() => replenishments > handled, '10 minutes'))) return;
    handled = replenishments;
    for (const orderId of await listBackorderedOrders({ sku })) {
      const { unallocatedOfSku } = await retryBackorderedOrder({ orderId, sku });
      // This order still waits for the SKU: nothing is left for younger orders.
      if (unallocatedOfSku > 0) break;
    }
  }
  await continueAsNew<typeof restockDispatcherWorkflow>(sku);
}
