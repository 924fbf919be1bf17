/**
 * What support can do to an order from its page, each through the same action as the v1 API
 * (api/actions/): the form's fields become the API's request body, checked with the API's own schema, a
 * confirmation sentence says what will happen, and the answer says what did.
 */
import type { Client } from '@temporalio/client';
import type { z } from 'zod';
import { cancellableUnits } from '../../domain/line-changes.js';
import { FINAL_ORDER_STATUSES, type OrderState } from '../../domain/order.js';
import { hasLeftWarehouse } from '../../domain/shipment-events.js';
import { cancelOrder, changeShippingAddress, reviewOrder } from '../actions/order-changes.js';
import { MAY } from '../actions/permissions.js';
import { requestReturn } from '../actions/returns.js';
import type { Principal, Role } from '../auth.js';
import { Address } from '../schemas/common.js';
import { CancelOrderRequest, ReturnRequest, ReviewOrderRequest } from '../schemas/orders.js';
import { parseWith } from '../validation.js';
import { fieldText, type Form } from './pages.js';

export interface OrderAction {
  roles: readonly Role[];
  /** Whether the order's page offers it now. */
  offered(order: OrderState): boolean;
  /** What confirming will do, in a sentence. */
  confirmation(form: Form, order: OrderState): string;
  /** Asks for the change the confirmed form stands for; a body the API would refuse is refused the same way. */
  perform(temporal: Client, caller: Principal, order: OrderState, form: Form): Promise<{ status?: string }>;
  /** The answer, in a sentence. */
  done(result: { status?: string }): string;
}

/** An action whose form becomes the body that `input` (the v1 API's request schema) checks, then `run` takes. */
function orderAction<Input extends z.ZodType>(definition: Omit<OrderAction, 'perform'> & {
  input: Input;
  body(form: Form, order: OrderState): unknown;
  run(temporal: Client, caller: Principal, orderId: string, input: z.output<Input>): Promise<{ status?: string }>;
}): OrderAction {
  const { input, body, run, ...action } = definition;
  return { ...action, perform: (temporal, caller, order, form) => run(temporal, caller, order.orderId, parseWith(input, body(form, order), 'body')) };
}

/** `units_<lineId>` fields with a positive count, as the API's `lines`; undefined when none. */
function unitsOf(form: Form, order: OrderState): Array<{ lineId: string; quantity: number }> | undefined {
  const lines = order.lines.flatMap(({ lineId }) => {
    const units = fieldText(form, `units_${lineId}`);
    return units && units !== '0' ? [{ lineId, quantity: Number(units) }] : [];
  });
  return lines.length > 0 ? lines : undefined;
}

function describeUnits(lines: Array<{ lineId: string; quantity: number }>, order: OrderState): string {
  return lines.map(({ lineId, quantity }) => `${quantity} x ${order.lines.find((l) => l.lineId === lineId)?.sku ?? lineId}`).join(', ');
}

const delivered = (order: OrderState) => ['delivered', 'partially_returned'].includes(order.status);

/** What the cancel form offers: the units of each line that can still be cancelled, and whether the whole order can be. */
export interface CancelOffer {
  lines: Array<{ lineId: string; sku: string; units: number }>;
  /** Only until the first shipment leaves a warehouse: after that, only lines that have not shipped. */
  wholeOrder: boolean;
}

export function cancelOffer(order: OrderState): CancelOffer {
  if (FINAL_ORDER_STATUSES.includes(order.status)) return { lines: [], wholeOrder: false };
  const units = cancellableUnits(order.lines, order.shipments);
  return {
    lines: order.lines.flatMap((line, index) => (units[index].quantity > 0 ? [{ lineId: line.lineId, sku: line.sku, units: units[index].quantity }] : [])),
    wholeOrder: !order.shipments.some(hasLeftWarehouse),
  };
}

export const ORDER_ACTIONS = {
  review: orderAction({
    roles: MAY.reviewOrder,
    offered: (order) => order.status === 'awaiting_review',
    input: ReviewOrderRequest,
    body: (form) => ({ decision: form.decision, note: fieldText(form, 'note') }),
    confirmation: (form, order) =>
      `${form.decision === 'reject' ? 'Reject' : 'Approve'} order ${order.externalId}${form.decision === 'reject' ? ': it is cancelled and its authorization voided' : ': it goes on to allocation'}.`,
    run: reviewOrder,
    done: ({ status }) => `The decision was accepted; the order is now ${status?.replace(/_/g, ' ')}.`,
  }),
  cancel: orderAction({
    roles: MAY.cancelOrder,
    offered: (order) => {
      const offer = cancelOffer(order);
      return offer.wholeOrder || offer.lines.length > 0;
    },
    input: CancelOrderRequest,
    body: (form, order) => ({ reason: fieldText(form, 'reason'), lines: unitsOf(form, order) }),
    confirmation: (form, order) => {
      const lines = unitsOf(form, order);
      return `${lines ? `Cancel ${describeUnits(lines, order)} of order ${order.externalId}` : `Cancel the whole order ${order.externalId}`}, because: ${fieldText(form, 'reason') ?? '(no reason given)'}.`;
    },
    run: cancelOrder,
    done: ({ status }) => `The cancellation was accepted; the order is now ${status?.replace(/_/g, ' ')}.`,
  }),
  'shipping-address': orderAction({
    roles: MAY.changeShippingAddress,
    offered: (order) => !FINAL_ORDER_STATUSES.includes(order.status) && !order.shipments.some(hasLeftWarehouse),
    input: Address,
    body: (form) => ({
      name: fieldText(form, 'name'),
      line1: fieldText(form, 'line1'),
      line2: fieldText(form, 'line2'),
      city: fieldText(form, 'city'),
      postalCode: fieldText(form, 'postalCode'),
      country: fieldText(form, 'country')?.toUpperCase(),
    }),
    confirmation: (form, order) =>
      `Ship order ${order.externalId} to ${[fieldText(form, 'name'), fieldText(form, 'line1'), fieldText(form, 'line2'), `${fieldText(form, 'postalCode') ?? ''} ${fieldText(form, 'city') ?? ''}`.trim(), fieldText(form, 'country')].filter(Boolean).join(', ')}.`,
    run: changeShippingAddress,
    done: () => 'The new address was accepted.',
  }),
  return: orderAction({
    roles: MAY.requestReturn,
    offered: delivered,
    input: ReturnRequest,
    body: (form, order) => ({ lines: unitsOf(form, order), reason: fieldText(form, 'reason') }),
    confirmation: (form, order) => {
      const lines = unitsOf(form, order);
      return `Open a return of ${lines ? describeUnits(lines, order) : '(no units chosen)'} for order ${order.externalId}, because: ${fieldText(form, 'reason') ?? '(no reason given)'}.`;
    },
    run: requestReturn,
    done: () => 'The return was opened.',
  }),
} satisfies Record<string, OrderAction>;

export type OrderActionName = keyof typeof ORDER_ACTIONS;

export function isOrderAction(name: string): name is OrderActionName {
  return Object.hasOwn(ORDER_ACTIONS, name);
}

/** The actions this person may take on this order now. */
export function offeredActions(principal: Principal, order: OrderState): Set<OrderActionName> {
  return new Set(
    (Object.keys(ORDER_ACTIONS) as OrderActionName[]).filter((name) => {
      const action: OrderAction = ORDER_ACTIONS[name];
      return action.roles.includes(principal.role) && action.offered(order);
    }),
  );
}
