/**
 * Warehouse routing, as a pure function of the order, the stock and the destination.
 *
 * Runs inside Temporal workflow code, so everything here is deterministic: no Node built-ins, no clock,
 * no randomness, no I/O, no locale-dependent comparison; the answer never depends on the input order of
 * warehouses or lines (given unique warehouse ids).
 */
import type { GeoPoint } from './customer.js';
import type { Allocation, OrderQuantity } from './quantities.js';

export type { OrderQuantity };

export interface WarehouseStock {
  warehouseId: string;
  country: string;
  location: GeoPoint;
  /** Higher wins among equally near warehouses. */
  priority: number;
  /** Units available to promise, per SKU; a missing SKU means 0. */
  available: Readonly<Record<string, number>>;
}

export interface Destination {
  country: string;
  location?: GeoPoint;
}

export interface RoutingResult {
  /** Sorted by SKU, then by warehouse rank (best first); never a zero quantity. */
  allocations: Allocation[];
  /** What the stock of all the given warehouses cannot cover, sorted by SKU; callers choose backorder or partial shipment. */
  unallocated: OrderQuantity[];
}

/**
 * Above this many candidate warehouses (those holding at least one unit of an ordered SKU), `routeOrder`
 * stops searching for the exact minimum set cover (up to 2^20 ≈ 1M subsets, with pruning usually far fewer)
 * and falls back to a greedy cover, which may use more warehouses than necessary. Rule 1 (one warehouse
 * for the whole order) is always exact.
 */
export const EXACT_COVER_MAX_CANDIDATES = 20;

/** Quantities per SKU, merging lines that name the same SKU. */
export function quantitiesBySku(lines: ReadonlyArray<OrderQuantity>): Map<string, number> {
  const totals = new Map<string, number>();
  for (const { sku, quantity } of lines) totals.set(sku, (totals.get(sku) ?? 0) + quantity);
  return totals;
}

/** Sums quantities per SKU, in the order SKUs first appear. */
export function sumQuantities(quantities: ReadonlyArray<OrderQuantity>): OrderQuantity[] {
  return [...quantitiesBySku(quantities)].map(([sku, quantity]) => ({ sku, quantity }));
}

/**
 * Allocations from the single best warehouse that holds every line, or `undefined` when none does.
 * Best: see `compareRankings` (nearest, or same country; then priority; then warehouse id).
 * Allocations follow the order in which the lines first name each SKU.
 */
export function routeToSingleWarehouse(
  lines: ReadonlyArray<OrderQuantity>,
  warehouses: readonly WarehouseStock[],
  destination: Destination,
): Allocation[] | undefined {
  const wanted = quantitiesBySku(lines);
  const skus = [...wanted.keys()];
  const quantities = skus.map((sku) => wanted.get(sku)!);
  const best = withStock(rankWarehouses(warehouses, destination), skus).find((w) => covers(w.available, quantities));
  if (!best) return undefined;
  return skus.map((sku, j) => ({ sku, warehouseId: best.stock.warehouseId, quantity: quantities[j] }));
}

/**
 * Routes an order to warehouses, splitting it only when it has to. Rules, in order:
 *  1. If one warehouse can serve the whole order, the best such warehouse.
 *  2. Otherwise the fewest warehouses that together cover the order (exact up to
 *     `EXACT_COVER_MAX_CANDIDATES` candidates, greedy above).
 *  3. Among sets of equal size, the best by `compareRankings`: the smallest sum of the warehouses'
 *     great-circle distances to `destination.location`; without coordinates, the most warehouses in
 *     the destination's country; then the highest sum of priorities; then the smallest sorted list of ids.
 *  4. Each SKU goes whole to the best-ranked warehouse of the set that holds all of it; only when none
 *     does is it split, filling from the best-ranked warehouses in order.
 *  5. What the stock cannot cover is returned in `unallocated`; the rest is routed as above.
 * Lines may repeat a SKU (they are merged); SKUs whose merged quantity is not positive are ignored.
 * `warehouses` should be the active ones, with unique ids.
 */
export function routeOrder(
  lines: ReadonlyArray<OrderQuantity>,
  warehouses: readonly WarehouseStock[],
  destination: Destination,
): RoutingResult {
  const wanted = quantitiesBySku(lines);
  const skus = [...wanted.keys()].filter((sku) => wanted.get(sku)! > 0).sort(compareIds);
  const ranked = rankWarehouses(warehouses, destination);
  // Rule 5: route what the stock can cover; the remainder is unallocated.
  const target = skus.map((sku) => Math.min(wanted.get(sku)!, ranked.reduce((sum, w) => sum + availableOf(w.stock, sku), 0)));
  const unallocated = skus
    .map((sku, j) => ({ sku, quantity: wanted.get(sku)! - target[j] }))
    .filter((line) => line.quantity > 0);

  // Only warehouses holding some of what can be routed are candidates.
  const candidates = withStock(ranked, skus)
    .map((w) => ({ ...w, available: w.available.map((units, j) => (target[j] > 0 ? units : 0)) }))
    .filter((c) => c.available.some((units) => units > 0));
  if (candidates.length === 0) return { allocations: [], unallocated };

  const chosen = chooseWarehouses(candidates, target);
  const allocations: Allocation[] = [];
  skus.forEach((sku, j) => {
    const quantity = target[j];
    if (quantity <= 0) return;
    // Rule 4: whole from the best-ranked warehouse of the set that holds it, else split in rank order.
    const whole = chosen.find((c) => c.available[j] >= quantity);
    if (whole) {
      allocations.push({ sku, warehouseId: whole.stock.warehouseId, quantity });
      return;
    }
    let left = quantity;
    for (const c of chosen) {
      const take = Math.min(c.available[j], left);
      if (take <= 0) continue;
      allocations.push({ sku, warehouseId: c.stock.warehouseId, quantity: take });
      left -= take;
    }
  });
  return { allocations, unallocated };
}

/** Great-circle (haversine) distance in kilometres. */
export function distanceKm(from: GeoPoint, to: GeoPoint): number {
  const rad = Math.PI / 180;
  const dLat = (to.lat - from.lat) * rad;
  const dLng = (to.lng - from.lng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(from.lat * rad) * Math.cos(to.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

const EARTH_RADIUS_KM = 6371.0088;

/** How a warehouse, or a set of warehouses, ranks for a destination. Lower `remoteness` is better. */
interface Ranking {
  /** Distance in km to the destination when it has coordinates, else 1 when outside its country, 0 inside; summed over a set. */
  remoteness: number;
  /** Summed over a set; higher is better. */
  priority: number;
  /** Sorted ascending (by UTF-16 code units). */
  ids: readonly string[];
}

interface Ranked {
  stock: WarehouseStock;
  ranking: Ranking;
}

interface Candidate extends Ranked {
  /** Units available per SKU, indexed like the router's SKU list. */
  available: number[];
}

/**
 * The one comparison behind every routing decision, for single warehouses and sets alike (for a single
 * warehouse it reads: nearest, or same country; then higher priority; then smaller id).
 * Sets are compared only with sets of the same size, so summed remoteness/priority are comparable.
 */
function compareRankings(a: Ranking, b: Ranking): number {
  if (a.remoteness !== b.remoteness) return a.remoteness < b.remoteness ? -1 : 1;
  if (a.priority !== b.priority) return a.priority > b.priority ? -1 : 1;
  for (let i = 0; i < Math.min(a.ids.length, b.ids.length); i++) {
    const byId = compareIds(a.ids[i], b.ids[i]);
    if (byId !== 0) return byId;
  }
  return a.ids.length - b.ids.length;
}

/** Code-unit order: unlike `localeCompare`, the same on every machine. */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function remoteness(w: WarehouseStock, destination: Destination): number {
  if (destination.location) return distanceKm(w.location, destination.location);
  return w.country === destination.country ? 0 : 1;
}

/** The warehouses, best first. */
function rankWarehouses(warehouses: readonly WarehouseStock[], destination: Destination): Ranked[] {
  return warehouses
    .map((stock) => ({ stock, ranking: { remoteness: remoteness(stock, destination), priority: stock.priority, ids: [stock.warehouseId] } }))
    .sort((a, b) => compareRankings(a.ranking, b.ranking));
}

function availableOf(w: WarehouseStock, sku: string): number {
  const units = Object.hasOwn(w.available, sku) ? w.available[sku] : 0;
  return typeof units === 'number' && units > 0 ? units : 0;
}

/** The ranked warehouses with their units available per SKU, indexed like `skus`. */
function withStock(ranked: readonly Ranked[], skus: readonly string[]): Candidate[] {
  return ranked.map((w) => ({ ...w, available: skus.map((sku) => availableOf(w.stock, sku)) }));
}

/** Whether `available` (summed over a set, or one warehouse's) holds every `target` quantity. */
function covers(available: readonly number[], target: readonly number[]): boolean {
  return target.every((quantity, j) => available[j] >= quantity);
}

/** The set of candidates to route from, in rank order (rules 1 to 3). All candidates together cover `target`. */
function chooseWarehouses(candidates: readonly Candidate[], target: readonly number[]): Candidate[] {
  // Rule 1, the same test as routeToSingleWarehouse's: the best-ranked warehouse that holds everything.
  const single = candidates.find((c) => covers(c.available, target));
  if (single) return [single];
  return candidates.length <= EXACT_COVER_MAX_CANDIDATES ? exactCover(candidates, target) : greedyCover(candidates, target);
}

/**
 * The best (by `compareRankings`) among the smallest sets of candidates covering `target`, by depth-first
 * search over subsets of increasing size. Pruning: sizes below a per-SKU lower bound are skipped; a branch
 * is cut when its SKUs cannot be covered even by the largest remaining stocks, or when it is already more
 * remote than the best set found (remoteness only grows as warehouses are added).
 */
function exactCover(candidates: readonly Candidate[], target: readonly number[]): Candidate[] {
  const n = candidates.length;
  // topStock[j][i][r]: the most units of SKU j that r candidates taken from candidates[i..] can hold.
  const topStock = target.map((_, j) =>
    Array.from({ length: n + 1 }, (_, i) => {
      const units = candidates.slice(i).map((c) => c.available[j]).sort((a, b) => b - a);
      const sums = [0];
      for (const u of units) sums.push(sums[sums.length - 1] + u);
      return sums;
    }),
  );
  const reachable = (j: number, covered: number, from: number, slots: number) =>
    covered + topStock[j][from][Math.min(slots, n - from)] >= target[j];
  let minSize = 1;
  target.forEach((_, j) => {
    while (minSize < n && !reachable(j, 0, 0, minSize)) minSize++;
  });

  for (let size = minSize; size <= n; size++) {
    let best: { members: Candidate[]; ranking: Ranking } | undefined;
    const members: Candidate[] = [];
    const covered = target.map(() => 0);
    const search = (from: number, remote: number, priority: number): void => {
      if (best && remote > best.ranking.remoteness) return;
      const slots = size - members.length;
      if (slots === 0) {
        if (!covers(covered, target)) return;
        const ranking = { remoteness: remote, priority, ids: members.map((c) => c.stock.warehouseId).sort(compareIds) };
        if (!best || compareRankings(ranking, best.ranking) < 0) best = { members: [...members], ranking };
        return;
      }
      for (let i = from; i <= n - slots; i++) {
        if (!target.every((_, j) => reachable(j, covered[j], i, slots))) continue;
        const c = candidates[i];
        members.push(c);
        c.available.forEach((units, j) => (covered[j] += units));
        search(i + 1, remote + c.ranking.remoteness, priority + c.ranking.priority);
        c.available.forEach((units, j) => (covered[j] -= units));
        members.pop();
      }
    };
    search(0, 0, 0);
    if (best) return best.members;
  }
  return [...candidates]; // unreachable: all candidates together cover the target
}

/**
 * Above `EXACT_COVER_MAX_CANDIDATES`: repeatedly take the candidate covering the most still-missing units
 * (the better-ranked one on ties), then drop, worst-ranked first, any warehouse the others can do without.
 */
function greedyCover(candidates: readonly Candidate[], target: readonly number[]): Candidate[] {
  const missing = [...target];
  const chosen = new Set<Candidate>();
  while (missing.some((quantity) => quantity > 0)) {
    let pick: Candidate | undefined;
    let pickGain = 0;
    for (const c of candidates) {
      if (chosen.has(c)) continue;
      const gain = c.available.reduce((sum, units, j) => sum + Math.min(units, Math.max(missing[j], 0)), 0);
      if (gain > pickGain) [pick, pickGain] = [c, gain];
    }
    if (!pick) break;
    chosen.add(pick);
    pick.available.forEach((units, j) => (missing[j] -= units));
  }
  const inRankOrder = candidates.filter((c) => chosen.has(c));
  for (const c of [...inRankOrder].reverse()) {
    const others = inRankOrder.filter((o) => o !== c && chosen.has(o));
    if (covers(target.map((_, j) => others.reduce((sum, o) => sum + o.available[j], 0)), target)) chosen.delete(c);
  }
  return candidates.filter((c) => chosen.has(c));
}
