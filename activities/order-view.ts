/** Writes the order read model (collection `orders`) from the workflow's state; newest revision wins. */
import { saveOrderView } from '../persistence/orders.js';

export const orderViewActivities = { saveOrderView };
