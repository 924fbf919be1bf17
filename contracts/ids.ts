/**
 * Names that the API, the workflows and the activities must agree on: the workflows' type names and ids
 * (how a client finds an order's workflow) and the ids of what an order produces. Plain functions without
 * Node built-ins, so workflow code can use them too.
 */

/** The workflow types the worker registers (workflows/index.ts), for clients that start them by name. */
export const WorkflowType = {
  order: 'orderWorkflow',
  return: 'returnWorkflow',
  restockDispatcher: 'restockDispatcherWorkflow',
} as const;

export function orderWorkflowId(orderId: string): string {
  return `order-${orderId}`;
}

export function returnWorkflowId(returnId: string): string {
  return `return-${returnId}`;
}

export function restockWorkflowId(sku: string): string {
  return `restock-${sku}`;
}

/** `<orderId>-<n>`: the order's n-th return. */
export function returnId(orderId: string, sequence: number): string {
  return `${orderId}-${sequence}`;
}

/** `<orderId>-<n>`: the order's n-th timeline entry, and the id its channel's webhook receives the event under. */
export function timelineEntryId(orderId: string, sequence: number): string {
  return `${orderId}-${sequence}`;
}
