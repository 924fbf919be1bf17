/**
 * Names that the API, the workflows and the activities must agree on: the workflows' type names and ids
 * (how a client finds an order's workflow) and the ids of what an order produces. Plain functions without
 * Node built-ins, so workflow code can use them too.
 */
import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';

/** The workflow types the worker registers (workflows/index.ts), for clients that start them by name. */
export const WorkflowType = {
  order: 'orderWorkflow',
  return: 'returnWorkflow',
  restockDispatcher: 'restockDispatcherWorkflow',
} as const;

/**
 * `ord_<24 hex>`, derived from the channel and its own order reference: `(channel, externalId)` is the
 * idempotency key of intake, so a repeated request finds the same order (and the same workflow id).
 */
export function orderIdFor(channel: string, externalId: string): string {
  return `ord_${bytesToHex(sha256(utf8ToBytes(`${channel}\n${externalId}`))).slice(0, 24)}`;
}

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

/** The order a return id (`<orderId>-<n>`) belongs to. */
export function orderIdOfReturn(returnId: string): string {
  return returnId.replace(/-\d+$/, '');
}

/** `<orderId>-<n>`: the order's n-th timeline entry, and the id its channel's webhook receives the event under. */
export function timelineEntryId(orderId: string, sequence: number): string {
  return `${orderId}-${sequence}`;
}
