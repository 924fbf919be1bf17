/** A warehouse's shipment event, accepted or rejected at once by the order's workflow; for the v1 API and the console. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { shipmentEventUpdate, type ShipmentEventResult } from '../../contracts/messages.js';
import { FailureType } from '../../domain/failures.js';
import { nextShipmentStatus } from '../../domain/shipment-events.js';
import { findShipment } from '../../persistence/shipments.js';
import { mayHandleWarehouse, type Principal } from '../auth.js';
import { problems } from '../problem.js';
import type { ShipmentEventRequest } from '../schemas/orders.js';
import { orderTarget, sendUpdate, type UpdateOutcome } from './updates.js';

/**
 * How long an event is sent again while the order's workflow does not know the shipment its record names it
 * for. The shipment is stored, and shown in the order's view, by local activities, before the workflow task
 * that ran them is in the history; when that task is lost (its worker killed, or timed out under load),
 * Temporal runs it again and validates an Update that arrived meanwhile before the re-run books the shipment
 * again, under the same id. The order knows it a workflow task later: a workflow task's timeout (10 s) covers
 * one more lost task.
 */
const UNKNOWN_SHIPMENT_RETRY_MS = 10_000;
const FIRST_PAUSE_MS = 100;
const LONGEST_PAUSE_MS = 1_000;

export async function reportShipmentEvent(temporal: Client, caller: Principal, shipmentId: string, event: ShipmentEventRequest) {
  const record = await findShipment(shipmentId);
  // Another warehouse's shipment is not there for a key bound to its own.
  if (!record || !mayHandleWarehouse(caller, record.shipment.warehouseId)) throw problems.notFound(`Shipment ${shipmentId} was not found.`);
  const { shipment, orderId } = record;
  const update = { shipmentId, type: event.type, trackingNumber: event.trackingNumber, occurredAt: new Date().toISOString() };
  // Answered once the order's workflow accepted the event: recording it, capturing and emailing follow
  // durably in the workflow, and the order shows them.
  const outcome = await sendWhileUnknown(() => sendUpdate(temporal, orderTarget(orderId), shipmentEventUpdate, update, 0));
  if (!outcome.accepted) {
    const next = nextShipmentStatus(shipment.status, event.type);
    const why = outcome.ended && !next.ok ? next.reason : outcome.reason;
    throw problems.conflict(`Event "${event.type}" rejected for shipment ${shipmentId}: ${why}.`);
  }
  return { shipmentId, orderId, shipmentStatus: event.type };
}

/** Sends the event again, pausing longer each time, while the order does not know the shipment (see above). */
async function sendWhileUnknown(send: () => Promise<UpdateOutcome<ShipmentEventResult>>): Promise<UpdateOutcome<ShipmentEventResult>> {
  let outcome = await send();
  // Counted from the first refusal: the first answer itself waits for the lost task to time out.
  const giveUpAt = Date.now() + UNKNOWN_SHIPMENT_RETRY_MS;
  let pause = FIRST_PAUSE_MS;
  while (isUnknownShipment(outcome) && Date.now() + pause < giveUpAt) {
    await sleep(pause);
    pause = Math.min(2 * pause, LONGEST_PAUSE_MS);
    outcome = await send();
  }
  return outcome;
}

function isUnknownShipment(outcome: UpdateOutcome<unknown>): boolean {
  return !outcome.accepted && outcome.failureType === FailureType.UnknownShipment;
}
