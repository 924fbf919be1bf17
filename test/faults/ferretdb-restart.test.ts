/**
 * Fault: the database dies. A FerretDB of this file's own is killed with SIGKILL while an order's first
 * shipment is being recorded (its stock has just left the ledger; the capture, the order's view and the
 * email are still to come), stays down for a while, and is started again on the same port with the same
 * data. The order's worker, worker/main.ts as an OS process, waits the outage out; the order ends
 * delivered with every effect exactly once and the stock levels equal to the ledger. Temporal and Mailpit
 * are the suite's.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectMongo, disconnectMongo } from '../../persistence/connection.js';
import { StockMovementModel } from '../../persistence/stock-models.js';
import type { FerretDBServer } from '../../stack/services.js';
import { PLACES, seedWarehouse } from '../support/fixtures.js';
import { expectEachEffectOnce, shipAndDeliver, shipmentEventInFlight, splitOrder, waitUntilConfirmed } from '../support/order-effects.js';
import { workerOf, workflowTaskWorkers } from '../support/order-history.js';
import { ownFerretDB, type OwnServer } from '../support/own-servers.js';
import { connectSuiteTemporal, type SuiteTemporal } from '../support/suite-temporal.js';
import { startWorkerProcess, killNodeProcesses } from '../support/node-processes.js';
import { startOrder, uniqueTaskQueue } from '../support/workflow-env.js';

/** How long the database stays down: longer than the worker's database calls wait (10 s) and several retries. */
const DOWN_MS = 20_000;

let temporal: SuiteTemporal;
let ferretdb: OwnServer<FerretDBServer>;
let mongoUri: string;

beforeAll(async () => {
  [temporal, ferretdb] = await Promise.all([connectSuiteTemporal(), ownFerretDB()]);
  mongoUri = ferretdb.current.uri('oms_fault_ferretdb');
  await connectMongo(mongoUri);
  await seedWarehouse('wh-berlin', PLACES.berlin);
  await seedWarehouse('wh-paris', PLACES.paris);
});

afterEach(killNodeProcesses);

afterAll(async () => {
  await disconnectMongo().catch(() => {});
  await ferretdb?.stop();
  await temporal?.close();
});

describe('FerretDB killed and restarted', () => {
  it(
    'the order waits out the outage mid-shipment and ends delivered, every effect once, the stock levels equal to the ledger',
    async () => {
      const order = await splitOrder('ferretdb-restart');
      const { input } = order;
      const taskQueue = uniqueTaskQueue();
      const worker = await startWorkerProcess({ script: 'worker/main.ts', mongoUri, taskQueue });
      const handle = await startOrder(temporal, input, taskQueue);
      const { shipments } = await waitUntilConfirmed(handle, input);
      const [first] = shipments;

      const shipped = shipmentEventInFlight(handle, first.shipmentId, 'shipped');
      // The moment the shipment's stock has left the ledger, the database goes.
      await expect.poll(() => StockMovementModel.countDocuments({ orderId: input.orderId, kind: 'ship' }), { timeout: 60_000, interval: 20 }).toBeGreaterThan(0);
      await ferretdb.kill();

      await sleep(DOWN_MS);
      // The order waited: the warehouse's event is not through, and the worker is still there to finish it.
      expect(shipped.settled()).toBe(false);
      await ferretdb.restart();

      expect(await shipped.result).toMatchObject({ shipmentStatus: 'shipped' });
      const outcome = await shipAndDeliver(handle, shipments, [first]);

      expect(outcome).toEqual({ orderId: input.orderId, status: 'delivered' });
      await expectEachEffectOnce(order, shipments);
      // The worker process that lived through the outage ran the order throughout.
      expect(await workflowTaskWorkers(handle)).toEqual([workerOf(worker.pid)]);
    },
    300_000,
  );
});
