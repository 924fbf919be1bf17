/**
 * The orders benchmark's baseline: a workflow of an order's shape without any database or email, run on
 * the same Temporal server in the same run: three no-op steps to "allocated", a signal for shipped and one
 * for delivered, each followed by one more no-op step. What Temporal alone costs per order here.
 */
import { condition, defineQuery, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';

export const bareStatusQuery = defineQuery<string>('status');
export const bareShippedSignal = defineSignal('shipped');
export const bareDeliveredSignal = defineSignal('delivered');

export interface BareActivities {
  step(name: string): Promise<void>;
}

const { step } = proxyActivities<BareActivities>({ startToCloseTimeout: '30 seconds' });

export async function bareOrderWorkflow(): Promise<string> {
  let status = 'received';
  let shipped = false;
  let delivered = false;
  setHandler(bareStatusQuery, () => status);
  setHandler(bareShippedSignal, () => void (shipped = true));
  setHandler(bareDeliveredSignal, () => void (delivered = true));
  for (const name of ['authorize', 'reserve', 'ship']) await step(name);
  status = 'allocated';
  await condition(() => shipped);
  await step('capture');
  status = 'shipped';
  await condition(() => delivered);
  await step('notify');
  status = 'delivered';
  return status;
}
