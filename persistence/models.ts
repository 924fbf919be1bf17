/**
 * The collections. Money is integer minor units; every side effect carries a unique business `key`
 * (`order:<id>:authorize`, ...) so that a retried activity finds its earlier write instead of repeating it.
 */
import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { ORDER_STATUSES, PAYMENT_STATUSES, RETURN_STATUSES, SHIPMENT_STATUSES } from '../domain/order.js';
import { STOCK_MOVEMENT_KINDS, type StockMovementKind } from '../domain/stock.js';

const geoPoint = new Schema({ lat: { type: Number, required: true }, lng: { type: Number, required: true } }, { _id: false });

const warehouseSchema = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    country: { type: String, required: true },
    location: { type: geoPoint, required: true },
    active: { type: Boolean, default: true },
    priority: { type: Number, default: 0 },
  },
  { timestamps: true, versionKey: false },
);
export const WarehouseModel = mongoose.model('Warehouse', warehouseSchema, 'warehouses');

/** `<sku>/<warehouseId>`: ids of the per-location documents (SKUs and warehouse ids never contain `/`). */
export function locationId(sku: string, warehouseId: string): string {
  return `${sku}/${warehouseId}`;
}

/**
 * Stock levels per (sku, warehouse): a projection of the ledger's head (onHand, reserved, seq) kept for
 * lists and alerts. Written only by persistence/stock-ledger.ts. Keyed by `locationId`, because a filter on
 * `_id` alone is the only one FerretDB v1 looks up without scanning the collection.
 */
const inventoryLevelSchema = new Schema(
  {
    _id: { type: String, required: true },
    sku: { type: String, required: true },
    warehouseId: { type: String, required: true },
    onHand: { type: Number, required: true, default: 0 },
    reserved: { type: Number, required: true, default: 0 },
    /** The ledger sequence number this projection reflects. */
    seq: { type: Number, required: true, default: 0 },
  },
  { timestamps: true, versionKey: false },
);
inventoryLevelSchema.index({ sku: 1, warehouseId: 1 }, { unique: true });
inventoryLevelSchema.index({ warehouseId: 1 });
export const InventoryLevelModel = mongoose.model('InventoryLevel', inventoryLevelSchema, 'inventory_levels');

/**
 * A location's settings, apart from its level: FerretDB v1 rewrites a whole document on update, so a
 * projection write racing a settings change on the same document could undo it.
 */
const locationSettingSchema = new Schema(
  { _id: { type: String, required: true }, safetyStock: { type: Number, required: true, default: 0 } },
  { timestamps: true, versionKey: false },
);
export const LocationSettingModel = mongoose.model('LocationSetting', locationSettingSchema, 'location_settings');

/** Per-SKU settings; a SKU without one uses the configured defaults. */
const skuSettingSchema = new Schema(
  { _id: { type: String, required: true }, lowStockThreshold: { type: Number, required: true } },
  { timestamps: true, versionKey: false },
);
export const SkuSettingModel = mongoose.model('SkuSetting', skuSettingSchema, 'sku_settings');

/**
 * Low-stock alerts. `openKey` is unique: it is the SKU while the alert is open, so however many movements
 * cross the threshold at once, one alert opens; closing it renames the key to `closed:<alert id>`,
 * freeing the SKU for the next episode. (No sparse or partial index: FerretDB v1 lacks them.)
 */
const stockAlertSchema = new Schema(
  {
    sku: { type: String, required: true },
    openKey: { type: String, required: true },
    threshold: { type: Number, required: true },
    availableAtOpen: { type: Number, required: true },
    openedAt: { type: Date, required: true },
    closedAt: { type: Date },
    availableAtClose: { type: Number },
  },
  { versionKey: false },
);
stockAlertSchema.index({ openKey: 1 }, { unique: true });
stockAlertSchema.index({ sku: 1, openedAt: -1 });
export const StockAlertModel = mongoose.model('StockAlert', stockAlertSchema, 'stock_alerts');

export { STOCK_MOVEMENT_KINDS, type StockMovementKind };

/**
 * The stock ledger: append-only, one stream per (sku, warehouse). Each movement carries the next sequence
 * number and the balances after it; its `_id` names that slot, so two concurrent writers of the same stream
 * collide on insert and the loser re-reads and retries. See persistence/stock-ledger.ts.
 */
const stockMovementSchema = new Schema(
  {
    /** `<sku>/<warehouseId>/<seq, 12 digits>`: the slot in its stream, claimed atomically by the insert. */
    _id: { type: String, required: true },
    sku: { type: String, required: true },
    warehouseId: { type: String, required: true },
    seq: { type: Number, required: true },
    kind: { type: String, enum: STOCK_MOVEMENT_KINDS, required: true },
    /** Change in onHand and in reserved that this movement made. */
    onHandDelta: { type: Number, required: true },
    reservedDelta: { type: Number, required: true },
    onHand: { type: Number, required: true },
    reserved: { type: Number, required: true },
    key: { type: String, required: true },
    orderId: { type: String },
    reason: { type: String },
    actor: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false },
);
stockMovementSchema.index({ sku: 1, warehouseId: 1, seq: 1 }, { unique: true });
stockMovementSchema.index({ key: 1 }, { unique: true });
stockMovementSchema.index({ orderId: 1 });
stockMovementSchema.index({ sku: 1, at: -1 });
export const StockMovementModel = mongoose.model('StockMovement', stockMovementSchema, 'stock_movements');
export type StockMovementDoc = InferSchemaType<typeof stockMovementSchema>;

const moneyFields = { amount: { type: Number, required: true }, currency: { type: String, required: true } };

/** The order read model for lists and lookups, written only by the order's own workflow activities. */
const orderSchema = new Schema(
  {
    _id: { type: String, required: true },
    externalId: { type: String, required: true },
    channel: { type: String, required: true },
    status: { type: String, enum: ORDER_STATUSES, required: true },
    customer: { id: String, email: String, name: String },
    shippingAddress: {
      name: String,
      line1: String,
      line2: String,
      city: String,
      postalCode: String,
      country: String,
      location: { type: geoPoint, required: false },
    },
    lines: [{ _id: false, lineId: String, sku: String, quantity: Number, unitPrice: Number, cancelledQuantity: Number }],
    total: moneyFields,
    payment: {
      status: { type: String, enum: PAYMENT_STATUSES },
      authorized: Number,
      captured: Number,
      refunded: Number,
      voided: Number,
      authorizationId: String,
      authorizedAt: String,
      reauthorizations: Number,
    },
    flaggedForReview: Boolean,
    allocations: [{ _id: false, sku: String, warehouseId: String, quantity: Number }],
    unallocated: [{ _id: false, sku: String, quantity: Number }],
    waitingSkus: [String],
    backorderDeadline: String,
    review: { reason: String, deadline: String, decision: String, note: String, reviewer: String },
    lateSince: String,
    // The whole policy the order runs under, so support sees its windows.
    policy: {
      allowPartialShipment: Boolean,
      backorderTimeoutMs: Number,
      reviewAboveAmount: Number,
      reviewTimeoutMs: Number,
      shipWithinMs: Number,
      returnWindowMs: Number,
      returnReceiptTimeoutMs: Number,
      authorizationValidityMs: Number,
    },
    shipments: [
      {
        _id: false,
        shipmentId: String,
        warehouseId: String,
        status: { type: String, enum: SHIPMENT_STATUSES },
        carrier: String,
        trackingNumber: String,
        lines: [{ _id: false, sku: String, quantity: Number }],
      },
    ],
    returnsAcceptedUntil: String,
    returns: [
      {
        _id: false,
        returnId: String,
        lines: [{ _id: false, lineId: String, sku: String, quantity: Number }],
        reason: String,
        requestedBy: String,
        status: { type: String, enum: RETURN_STATUSES },
        requestedAt: String,
        receiptDeadline: String,
        receipt: {
          type: new Schema(
            { warehouseId: String, lines: [{ _id: false, sku: String, quantity: Number }], receivedAt: String, recordedBy: String },
            { _id: false },
          ),
          required: false,
        },
        amount: Number,
        settledAt: String,
        detail: String,
      },
    ],
    timeline: [
      {
        _id: false,
        id: String,
        at: String,
        type: { type: String },
        message: String,
        webhook: { type: new Schema({ deliveredAt: String, attempts: Number }, { _id: false }), required: false },
      },
    ],
    requestHash: String,
    createdAt: { type: String, required: true },
    updatedAt: { type: String, required: true },
    revision: { type: Number, required: true },
  },
  { versionKey: false },
);
orderSchema.index({ channel: 1, externalId: 1 }, { unique: true });
orderSchema.index({ createdAt: -1, _id: -1 });
orderSchema.index({ status: 1, createdAt: -1 });
orderSchema.index({ 'customer.id': 1, createdAt: -1 });
orderSchema.index({ waitingSkus: 1, createdAt: 1 });
export const OrderModel = mongoose.model('Order', orderSchema, 'orders');

/** Our record of each payment operation, one per business key. */
const paymentSchema = new Schema(
  {
    key: { type: String, required: true },
    orderId: { type: String, required: true },
    operation: { type: String, enum: ['authorize', 'capture', 'void', 'refund'], required: true },
    outcome: { type: String, enum: ['approved', 'declined'], required: true },
    amount: { type: Number, required: true },
    currency: { type: String, required: true },
    authorizationId: String,
    providerReference: String,
    declineReason: String,
    reviewRequested: Boolean,
    at: { type: Date, required: true },
  },
  { versionKey: false },
);
paymentSchema.index({ key: 1 }, { unique: true });
paymentSchema.index({ orderId: 1 });
export const PaymentModel = mongoose.model('Payment', paymentSchema, 'payments');

const shipmentSchema = new Schema(
  {
    _id: { type: String, required: true },
    key: { type: String, required: true },
    orderId: { type: String, required: true },
    warehouseId: { type: String, required: true },
    status: { type: String, enum: SHIPMENT_STATUSES, required: true },
    carrier: { type: String, required: true },
    trackingNumber: { type: String, required: true },
    lines: [{ _id: false, sku: String, quantity: Number }],
    events: [{ _id: false, type: { type: String }, at: Date, trackingNumber: String }],
  },
  { timestamps: true, versionKey: false },
);
shipmentSchema.index({ key: 1 }, { unique: true });
shipmentSchema.index({ orderId: 1 });
export const ShipmentModel = mongoose.model('Shipment', shipmentSchema, 'shipments');

/**
 * One record per business key (order event, low-stock alert): the email, written before it is sent, then
 * marked `sent`, so a retry never sends it twice (activities/notifications.ts). `rejected`: the mail
 * server refused it for good.
 */
export const NOTIFICATION_STATUSES = ['recorded', 'sent', 'rejected'] as const;
const notificationSchema = new Schema(
  {
    key: { type: String, required: true },
    /** Absent for notifications to operations that concern no order (low stock). */
    orderId: { type: String },
    event: { type: String, required: true },
    recipient: { type: String, required: true },
    subject: { type: String, required: true },
    body: { type: String, required: true },
    status: { type: String, enum: NOTIFICATION_STATUSES, required: true },
    /** The email's Message-ID, derived from `key`: every attempt sends the same one. (Absent on records from before email.) */
    messageId: { type: String },
    /** When it was recorded. */
    at: { type: Date, required: true },
    /** When the mail server accepted it, and its reply (`250 ... queued as ...`). */
    sentAt: { type: Date },
    smtpResponse: { type: String },
    rejectedAt: { type: Date },
    /** Why the last attempt failed (cleared once sent). */
    lastError: { type: String },
  },
  { versionKey: false },
);
notificationSchema.index({ key: 1 }, { unique: true });
notificationSchema.index({ orderId: 1 });
export const NotificationModel = mongoose.model('Notification', notificationSchema, 'notifications');

/**
 * Per-channel settings, `_id` the channel name: its webhook, which gets every order event of the channel.
 * The secret is `select: false`, so only the delivery activity, which asks for it, ever reads it. (Write
 * with `updateOne`: `findOneAndUpdate` would send a projection, which FerretDB v1 refuses.)
 */
const channelSettingSchema = new Schema(
  {
    _id: { type: String, required: true },
    webhook: {
      url: { type: String },
      secret: { type: String, select: false },
      updatedAt: { type: Date },
    },
  },
  { timestamps: true, versionKey: false },
);
export const ChannelSettingModel = mongoose.model('ChannelSetting', channelSettingSchema, 'channel_settings');

/** `<channel>/<eventId>`: the id of a webhook delivery record (channel names hold no `/`). */
export function webhookDeliveryId(channel: string, eventId: string): string {
  return `${channel}/${eventId}`;
}

/**
 * One record per event a channel's webhook accepted (activities/webhooks.ts), so a retried or repeated
 * delivery finds it and sends nothing. Keyed by `webhookDeliveryId`, since FerretDB v1 looks up only
 * `_id` filters without a scan; the unique (channel, eventId) index states the rule on any server.
 */
const webhookDeliverySchema = new Schema(
  {
    _id: { type: String, required: true },
    channel: { type: String, required: true },
    eventId: { type: String, required: true },
    orderId: { type: String, required: true },
    eventType: { type: String, required: true },
    /** The 2xx the webhook answered, and on which attempt of the activity. */
    statusCode: { type: Number, required: true },
    attempts: { type: Number, required: true },
    deliveredAt: { type: Date, required: true },
  },
  { versionKey: false },
);
webhookDeliverySchema.index({ channel: 1, eventId: 1 }, { unique: true });
webhookDeliverySchema.index({ orderId: 1 });
export const WebhookDeliveryModel = mongoose.model('WebhookDelivery', webhookDeliverySchema, 'webhook_deliveries');

/** The sandbox payment provider's own books, kept apart from ours the way a real provider's would be. */
const sandboxPaymentSchema = new Schema(
  {
    idempotencyKey: { type: String, required: true },
    operation: { type: String, enum: ['authorize', 'capture', 'void', 'refund'], required: true },
    outcome: { type: String, enum: ['approved', 'declined'], required: true },
    reference: { type: String, required: true },
    authorizationId: String,
    amount: { type: Number, required: true },
    currency: { type: String, required: true },
    declineReason: String,
    reviewRequested: Boolean,
    at: { type: Date, required: true },
  },
  { versionKey: false },
);
sandboxPaymentSchema.index({ idempotencyKey: 1 }, { unique: true });
sandboxPaymentSchema.index({ authorizationId: 1 });
export const SandboxPaymentModel = mongoose.model('SandboxPayment', sandboxPaymentSchema, 'sandbox_payments');

/** How many calls the sandbox has seen per idempotency key, to play transient failures (`tok_flaky`). */
const sandboxAttemptSchema = new Schema(
  { _id: { type: String, required: true }, count: { type: Number, required: true } },
  { versionKey: false },
);
export const SandboxAttemptModel = mongoose.model('SandboxAttempt', sandboxAttemptSchema, 'sandbox_attempts');

export const allModels = [
  WarehouseModel,
  InventoryLevelModel,
  LocationSettingModel,
  SkuSettingModel,
  StockAlertModel,
  StockMovementModel,
  OrderModel,
  PaymentModel,
  ShipmentModel,
  NotificationModel,
  SandboxPaymentModel,
  SandboxAttemptModel,
  ChannelSettingModel,
  WebhookDeliveryModel,
];
