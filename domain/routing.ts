/**
 * Warehouse routing, as a pure function of the order, the stock and the destination.
 * Today: the nearest warehouse that can supply the whole order (split routing comes with the inventory issue).
 */
import type { Allocation, GeoPoint } from './order.js';

export interface WarehouseStock {
  warehouseId: string;
  country: string;
  location: GeoPoint;
  /** Higher wins among equally near warehouses. */
  priority: number;
  /** Units available to promise, per SKU. */
  available: Readonly<Record<string, number>>;
}

export interface Destination {
  country: string;
  location?: GeoPoint;
}

/** Quantities per SKU, merging lines that name the same SKU. */
export function quantitiesBySku(lines: ReadonlyArray<{ sku: string; quantity: number }>): Map<string, number> {
  const totals = new Map<string, number>();
  for (const { sku, quantity } of lines) totals.set(sku, (totals.get(sku) ?? 0) + quantity);
  return totals;
}

/**
 * Allocations from the single best warehouse that holds every line, or `undefined` when none does.
 * Best: nearest by great-circle distance when the destination has coordinates, otherwise same country first;
 * then higher priority; then warehouse id, so the answer never depends on input order.
 */
export function routeToSingleWarehouse(
  lines: ReadonlyArray<{ sku: string; quantity: number }>,
  warehouses: readonly WarehouseStock[],
  destination: Destination,
): Allocation[] | undefined {
  const wanted = quantitiesBySku(lines);
  const candidates = warehouses.filter((w) => [...wanted].every(([sku, qty]) => (w.available[sku] ?? 0) >= qty));
  if (candidates.length === 0) return undefined;
  const [best] = [...candidates].sort((a, b) => compareForDestination(a, b, destination));
  return [...wanted].map(([sku, quantity]) => ({ sku, warehouseId: best.warehouseId, quantity }));
}

function compareForDestination(a: WarehouseStock, b: WarehouseStock, destination: Destination): number {
  const near = destination.location
    ? distanceKm(a.location, destination.location) - distanceKm(b.location, destination.location)
    : Number(b.country === destination.country) - Number(a.country === destination.country);
  if (near !== 0) return near;
  if (a.priority !== b.priority) return b.priority - a.priority;
  return a.warehouseId < b.warehouseId ? -1 : a.warehouseId > b.warehouseId ? 1 : 0;
}

const EARTH_RADIUS_KM = 6371.0088;

/** Great-circle (haversine) distance in kilometres. */
export function distanceKm(from: GeoPoint, to: GeoPoint): number {
  const rad = Math.PI / 180;
  const dLat = (to.lat - from.lat) * rad;
  const dLng = (to.lng - from.lng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(from.lat * rad) * Math.cos(to.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}
