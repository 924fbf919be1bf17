/**
 * The API's shapes (version 1), declared once in api/schemas/: zod validates requests with them, TypeScript
 * types come from them, and the OpenAPI document is generated from them. This file: the building blocks
 * every resource uses, and the error and health bodies.
 */
import 'zod-openapi';
import { z } from 'zod';

const identifier = (what: string) =>
  z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, `${what} may hold letters, digits, '.', '_' and '-'`);

/**
 * Text a client sends: any characters but control characters (NUL, line breaks, tabs, escapes, C1), which
 * would end up in emails, timelines and logs.
 */
export const Text = (min: number, max: number) =>
  z.string().min(min).max(max).regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, 'must not contain control characters (such as NUL, tabs or line breaks)');

export const Sku = identifier('a SKU').meta({ id: 'Sku', example: 'TSHIRT-BLUE-M' });
/**
 * Path segments that /v1/inventory/{sku}/... uses for its own sub-resources, so no warehouse may be named
 * after them (`PUT /v1/inventory/{sku}/settings` would otherwise be ambiguous).
 */
export const RESERVED_WAREHOUSE_IDS = ['settings', 'movements'] as const;
export const WarehouseId = identifier('a warehouse id')
  .refine((id) => !(RESERVED_WAREHOUSE_IDS as readonly string[]).includes(id), `${RESERVED_WAREHOUSE_IDS.join(' and ')} are reserved words, not warehouse ids`)
  .meta({ id: 'WarehouseId', example: 'wh-berlin' });
export const OrderId = z.string().min(1).max(64).meta({ id: 'OrderId', example: 'ord_3f2a9c0d1e4b5a6978c1d2e3' });
export const ShipmentId = z.string().min(1).max(64).meta({ example: 'shp_4b5a6978c1d2e3f2a9c0' });
export const CountryCode = z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code such as "DE"').meta({ example: 'DE' });
export const CurrencyCode = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as "EUR"').meta({ example: 'EUR' });
export const MinorUnits = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).meta({ description: 'Integer minor units (cents)' });
export const Timestamp = z.string().meta({ format: 'date-time', example: '2026-11-28T09:30:00.000Z' });

export const GeoPoint = z.strictObject({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) }).meta({ id: 'GeoPoint' });

export const Money = z.strictObject({ amount: MinorUnits, currency: CurrencyCode }).meta({ id: 'Money' });

export const Customer = z
  .strictObject({ id: Text(1, 128), email: z.email().max(254), name: Text(1, 200).optional() })
  .meta({ id: 'Customer' });

export const Address = z
  .strictObject({
    name: Text(1, 200).optional(),
    line1: Text(1, 200),
    line2: Text(0, 200).optional(),
    city: Text(1, 100),
    postalCode: Text(1, 20),
    country: CountryCode,
    location: GeoPoint.optional(),
  })
  .meta({ id: 'Address' });


export const Quantity = z.number().int().min(0).max(1_000_000_000);

export const PageLimit = z.coerce.number().int().min(1).max(100).default(20);
export const PageCursor = z.string().max(500).optional();

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

export const Health = z.object({ status: z.enum(['ok', 'unavailable']), checks: z.record(z.string(), z.boolean()).optional() });
