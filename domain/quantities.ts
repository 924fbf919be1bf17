/** Units of SKUs and of order lines, as orders, stock, cancellations and returns count them. */

export interface OrderQuantity {
  sku: string;
  quantity: number;
}

/** Units of one order line, as a line cancellation or a return names them. */
export interface LineQuantity {
  lineId: string;
  quantity: number;
}

export interface Allocation {
  sku: string;
  warehouseId: string;
  quantity: number;
}

/** `2 x TSHIRT, 1 x MUG`: quantities as timelines, summaries and emails show them. */
export function describeQuantities(quantities: readonly OrderQuantity[]): string {
  return quantities.map((q) => `${q.quantity} x ${q.sku}`).join(', ');
}
