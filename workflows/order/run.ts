/**
 * One order's run: the state that queries answer and the read model stores, the whole-order cancel that
 * every step checks, and what every step of the order uses: the lock that lets one change happen at a
 * time, the timeline, customer email, and the stack of compensations that failure paths unwind. What
 * only one step needs to remember (its rounds, attempts, counters) is kept by that step's file, declared
 * at its top with `stepState`.
 */
import { CancellationScope, allHandlersFinished, condition, log, upsertSearchAttributes } from '@temporalio/workflow';
import { timelineEntryId } from '../../contracts/ids.js';
import type { CancelOrderRequest } from '../../contracts/messages.js';
import { OrderStatusKey } from '../../contracts/search-attributes.js';
import { orderTotal } from '../../domain/money.js';
import type { NotificationEvent } from '../../domain/notifications.js';
import { activeQuantity, FINAL_ORDER_STATUSES, receivedOrder, type OrderInput, type OrderLine, type OrderState, type OrderStatus, type Shipment, type TimelineEntry } from '../../domain/order.js';
import { emailCustomer, localDb } from '../activity-steps.js';
import { deliverToChannelWebhook } from './channel-webhook.js';

/** Thrown inside the workflow when a cancel request is seen between steps; the failure path unwinds the order. */
export class CancelRequested extends Error {}

export class OrderRun {
  readonly state: OrderState;
  readonly paymentToken: string;
  /** A whole-order cancel: asked for by a caller, or decided by a rejected review or the backorder deadline. */
  cancelRequest: CancelOrderRequest | undefined;
  private busy = false;
  private viewWrites: Promise<void> = Promise.resolve();
  private readonly compensations: Array<{ name: string; run: () => Promise<unknown> }> = [];
  private readonly channelWebhook: ReturnType<typeof deliverToChannelWebhook>;

  constructor(input: OrderInput) {
    this.paymentToken = input.paymentToken;
    this.state = receivedOrder(input);
    this.channelWebhook = deliverToChannelWebhook(this.state, () => this.saveView());
  }

  isFinal(): boolean {
    return FINAL_ORDER_STATUSES.includes(this.state.status);
  }

  /** Neither over nor being cancelled: changes still apply. */
  isActive(): boolean {
    return !this.isFinal() && !this.cancelRequest;
  }

  /** Throws the reason an Update must be refused because the order is over or being cancelled. */
  refuseUnlessActive(): void {
    if (!this.isActive()) throw new Error(`the order is ${this.cancelRequest ? 'being cancelled' : this.state.status}`);
  }

  checkNotCancelled(): void {
    if (this.cancelRequest) throw new CancelRequested();
  }

  /**
   * Steps that change reservations, shipments or the payment run one at a time: a line cancellation or an
   * address change arriving while stock is being reserved waits for that step instead of racing it.
   * Long waits (review, backorder, shipment events) happen outside, so a change never waits on them.
   */
  async exclusively<T>(step: () => Promise<T>): Promise<T> {
    await condition(() => !this.busy);
    this.busy = true;
    try {
      return await step();
    } finally {
      this.busy = false;
    }
  }

  /** Saves the state to the read model. Writes go out one after another, so the stored order never goes back in time. */
  saveView(): Promise<void> {
    this.state.revision += 1;
    const snapshot: OrderState = JSON.parse(JSON.stringify(this.state));
    this.viewWrites = this.viewWrites.then(() => localDb().saveOrderView(snapshot));
    return this.viewWrites;
  }

  /** Adds an entry to the timeline (and so to the channel's webhook), moves the status, and saves the view. */
  record(type: string, message: string, status?: OrderStatus): Promise<void> {
    this.note(type, message, status);
    return this.saveView();
  }

  /** `record` without the save: for an entry the caller saves together with another, right after. */
  note(type: string, message: string, status?: OrderStatus): void {
    const now = new Date().toISOString();
    if (status && status !== this.state.status) {
      this.state.status = status;
      upsertSearchAttributes([{ key: OrderStatusKey, value: status }]);
    }
    const entry: TimelineEntry = { id: timelineEntryId(this.state.orderId, this.state.timeline.length + 1), at: now, type, message };
    this.state.timeline.push(entry);
    this.state.updatedAt = now;
    this.channelWebhook.send(entry);
  }

  /** Emails the customer about this order, once per event and `subjectId`. */
  notify(event: NotificationEvent, extra: { subjectId?: string; detail?: string; shipment?: Shipment } = {}): Promise<void> {
    const { state } = this;
    return emailCustomer({
      orderId: state.orderId,
      event,
      subjectId: extra.subjectId,
      recipient: { email: state.customer.email, name: state.customer.name },
      externalId: state.externalId,
      total: state.total,
      detail: extra.detail,
      carrier: extra.shipment?.carrier,
      trackingNumber: extra.shipment?.trackingNumber,
    });
  }

  money(amount: number) {
    return { amount, currency: this.state.total.currency };
  }

  /** The order's lines as they stand, cancelled units taken out. */
  activeLines(): OrderLine[] {
    return this.state.lines.map((line) => ({ ...line, quantity: activeQuantity(line) })).filter((line) => line.quantity > 0);
  }

  /** What the authorization must still cover: the value of the units still wanted, less what was captured. */
  uncapturedValue(): number {
    return orderTotal(this.activeLines(), this.state.total.currency).amount - this.state.payment.captured;
  }

  /** Registers what undoes a step; failure paths run them newest first (`compensate`). */
  onFailureUndo(name: string, run: () => Promise<unknown>): void {
    this.compensations.push({ name, run });
  }

  async compensate(): Promise<void> {
    // After any change in flight (a line cancellation voiding part of the amount), never alongside it.
    await CancellationScope.nonCancellable(() =>
      this.exclusively(async () => {
        for (const { name, run } of this.compensations.reverse()) {
          try {
            await run();
          } catch (error) {
            log.error('compensation failed', { orderId: this.state.orderId, compensation: name, error: String(error) });
          }
        }
      }),
    );
  }

  /** Waits until every handler is done, every event reached the channel's webhook and the last view is saved. */
  async finish(): Promise<void> {
    await condition(allHandlersFinished);
    // Before the last view write: each delivery the webhook accepts is saved to the view.
    await this.channelWebhook.allDelivered();
    await this.viewWrites;
  }
}

/**
 * A step file's own per-order state, declared at its top, `const backorderOf = stepState(() => ({ retryRequested: false }))`,
 * and read as `backorderOf(order).retryRequested`. Each order gets its own, made on first use. Not exported, so
 * only that file's functions change it; other steps ask them. A WeakMap keyed by the run (allowed in the
 * workflow sandbox, unlike WeakRef), so the state lives and replays with the run, like its own fields.
 */
export function stepState<S>(initial: () => S): (order: OrderRun) => S {
  const kept = new WeakMap<OrderRun, S>();
  return (order) => {
    let state = kept.get(order);
    if (state === undefined) kept.set(order, (state = initial()));
    return state;
  };
}

/** `berlin (sandbox-ground SBX...), paris (...)`: the shipments still on, for timeline entries. */
export function describeShipments(shipments: Shipment[]): string {
  return shipments
    .filter((s) => s.status !== 'cancelled')
    .map((s) => `${s.warehouseId} (${s.carrier} ${s.trackingNumber})`)
    .join(', ');
}
