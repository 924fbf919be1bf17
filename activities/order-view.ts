/** Writes the order read model (collection `orders`) from the workflow's state; newest revision wins. */
import type { OrderState } from '../domain/order.js';
import { unmarkAwaitingEngine } from '../persistence/engine-intake.js';
import { saveOrderView } from '../persistence/orders.js';

export const orderViewActivities = {
  /** The workflow's first save (revision 1) also tells admission control the engine has taken the order up. */
  async saveOrderView(state: OrderState): Promise<void> {
    await Promise.all([saveOrderView(state), state.revision === 1 && unmarkAwaitingEngine(state.orderId, state.createdAt)]);
  },
};
