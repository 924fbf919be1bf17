/** Warehouses: where stock is kept, and whether new orders may be routed there. */
import mongoose, { Schema } from 'mongoose';
import type { GeoPoint } from '../domain/customer.js';

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

export interface Warehouse {
  warehouseId: string;
  name: string;
  country: string;
  location: GeoPoint;
  /** An inactive warehouse gets no new allocations; its stock and reservations stay. */
  active: boolean;
  /** Higher wins among equally near warehouses. */
  priority: number;
}

function toWarehouse(doc: { _id: string; name: string; country: string; location: GeoPoint; active?: boolean | null; priority?: number | null }): Warehouse {
  return {
    warehouseId: doc._id,
    name: doc.name,
    country: doc.country,
    location: { lat: doc.location.lat, lng: doc.location.lng },
    active: doc.active ?? true,
    priority: doc.priority ?? 0,
  };
}

export async function warehouseExists(warehouseId: string): Promise<boolean> {
  return (await WarehouseModel.exists({ _id: warehouseId })) !== null;
}

/** Every warehouse, by id: the network has tens of them, not thousands. */
export async function allWarehouses(): Promise<Warehouse[]> {
  return (await WarehouseModel.find().sort({ _id: 1 }).lean()).map(toWarehouse);
}

export async function findWarehouse(warehouseId: string): Promise<Warehouse | undefined> {
  const doc = await WarehouseModel.findById(warehouseId).lean();
  return doc ? toWarehouse(doc) : undefined;
}

/** Creates the warehouse or replaces its name, country and location. */
export async function saveWarehouse(
  warehouseId: string,
  fields: Pick<Warehouse, 'name' | 'country' | 'location'>,
): Promise<{ warehouse: Warehouse; created: boolean }> {
  const existed = await warehouseExists(warehouseId);
  const saved = await WarehouseModel.findOneAndUpdate({ _id: warehouseId }, { $set: fields }, { upsert: true, new: true }).lean();
  return { warehouse: toWarehouse(saved!), created: !existed };
}

/** Enables or disables a warehouse, or changes its priority; undefined when there is no such warehouse. */
export async function updateWarehouse(warehouseId: string, fields: Partial<Pick<Warehouse, 'active' | 'priority'>>): Promise<Warehouse | undefined> {
  const saved = await WarehouseModel.findOneAndUpdate({ _id: warehouseId }, { $set: fields }, { new: true }).lean();
  return saved ? toWarehouse(saved) : undefined;
}

/** The active warehouses among these ids. */
export async function activeWarehouses(warehouseIds: string[]): Promise<Warehouse[]> {
  const docs = await WarehouseModel.find({ _id: { $in: warehouseIds }, active: true }).lean();
  return docs.map(toWarehouse);
}
