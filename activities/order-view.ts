/** Writes the order read model (collection `orders`) from the workflow's state. */
import type { OrderState } from '../domain/order.js';
import { isDuplicateKeyError } from '../persistence/connection.js';
import { OrderModel } from '../persistence/models.js';

export const orderViewActivities = {
  /**
   * Saves the state unless the stored one is already as new (higher or equal revision): the filter then
   * matches nothing, the upsert collides on `_id`, and the older write is dropped.
   */
  async saveOrderView(state: OrderState): Promise<void> {
    const { orderId, ...fields } = state;
    try {
      await OrderModel.updateOne({ _id: orderId, revision: { $lt: state.revision } }, { $set: fields }, { upsert: true });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  },
};
