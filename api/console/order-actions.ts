/**
 * What support can do to an order from its page, each through the same function as the v1 API
 * (api/actions/): the form's fields become the API's request body, a confirmation sentence says what will
 * happen, and the answer says what did.
 */
import type { Client } from '@temporalio/client';
import { cancelOrder, changeShippingAddress, ORDER_CHANGE_ROLES, reviewOrder } from '../actions/orders.js';
import { requestReturn, RETURN_ROLES } from '../actions/returns.js';
import type { Principal, Role } from '../auth.js';
import type { ChangeRequest } from '../updates.js';
import { FINAL_ORDER_STATUSES, type OrderState } from '../../domain/order.js';
import { fieldText, type Form } from './pages.js';


export interface OrderAction {
  roles: readonly Role[];
  /** Whether the order's page offers it now. */
  offered(order: OrderState): boolean;
  body(form: Form, order: OrderState): unknown;
  /** What confirming will do, in a sentence. */
  confirmation(form: Form, order: OrderState): string;
  run(temporal: Client, request: ChangeRequest): Promise<{ status?: string }>;
  /** The answer, in a sentence. */
  done(result: { status?: string }): string;
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

export const ORDER_ACTIONS = {
  review: {
    roles: ORDER_CHANGE_ROLES.review,
    offered: (order) => order.status === 'awaiting_review',
    body: (form) => ({ decision: form.decision, note: fieldText(form, 'note') }),
    confirmation: (form, order) =>
      `${form.decision === 'reject' ? 'Reject' : 'Approve'} order ${order.externalId}${form.decision === 'reject' ? ': it is cancelled and its authorization voided' : ': it goes on to allocation'}.`,
    run: reviewOrder,
    done: ({ status }) => `The decision was accepted; the order is now ${status?.replace(/_/g, ' ')}.`,
  },
  cancel: {
    roles: ORDER_CHANGE_ROLES.cancel,
    offered: (order) => !FINAL_ORDER_STATUSES.includes(order.status),
    body: (form, order) => ({ reason: fieldText(form, 'reason'), lines: unitsOf(form, order) }),
    confirmation: (form, order) => {
      const lines = unitsOf(form, order);
      return `${lines ? `Cancel ${describeUnits(lines, order)} of order ${order.externalId}` : `Cancel the whole order ${order.externalId}`}, because: ${fieldText(form, 'reason') ?? '(no reason given)'}.`;
    },
    run: cancelOrder,
    done: ({ status }) => `The cancellation was accepted; the order is now ${status?.replace(/_/g, ' ')}.`,
  },
  'shipping-address': {
    roles: ORDER_CHANGE_ROLES.shippingAddress,
    offered: (order) => !FINAL_ORDER_STATUSES.includes(order.status) && !order.shipments.some((s) => s.status === 'shipped' || s.status === 'delivered'),
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
  },
  return: {
    roles: RETURN_ROLES.request,
    offered: delivered,
    body: (form, order) => ({ lines: unitsOf(form, order), reason: fieldText(form, 'reason') }),
    confirmation: (form, order) => {
      const lines = unitsOf(form, order);
      return `Open a return of ${lines ? describeUnits(lines, order) : '(no units chosen)'} for order ${order.externalId}, because: ${fieldText(form, 'reason') ?? '(no reason given)'}.`;
    },
    run: requestReturn,
    done: () => 'The return was opened.',
  },
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
