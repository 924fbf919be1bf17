/** The workflow bundle's entry point: every workflow type the worker registers. */
export { orderWorkflow } from './order/workflow.js';
export { restockDispatcherWorkflow } from './restock.js';
export { returnWorkflow } from './return.js';
