/** Activities of the restock dispatcher: find the orders backordered on a SKU and wake them one by one. */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { orderWorkflowId } from '../contracts/ids.js';
import { retryReservationUpdate } from '../contracts/messages.js';
import { backorderedOrderIds } from '../persistence/orders.js';

export function restockActivities(temporal: Client) {
  return {
    /** Orders still waiting for the SKU, oldest first. */
    async listBackorderedOrders(input: { sku: string }): Promise<string[]> {
      return backorderedOrderIds(input.sku);
    },

    /** Has the order try its reservation again; says how much of the SKU it still waits for. */
    async retryBackorderedOrder(input: { orderId: string; sku: string }): Promise<{ unallocatedOfSku: number }> {
      try {
        const result = await temporal.workflow.getHandle(orderWorkflowId(input.orderId)).executeUpdate(retryReservationUpdate);
        return { unallocatedOfSku: result.unallocated.filter((q) => q.sku === input.sku).reduce((sum, q) => sum + q.quantity, 0) };
      } catch (error) {
        // The order stopped waiting meanwhile (allocated, cancelled, ended): nothing to wake.
        if (error instanceof WorkflowUpdateFailedError || error instanceof WorkflowNotFoundError) return { unallocatedOfSku: 0 };
        throw error;
      }
    },
  };
}
