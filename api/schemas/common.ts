/**
 * The API's shapes (version 1), declared once in api/schemas/: zod validates requests with them, TypeScript
 * types come from them, and the OpenAPI document is generated from them; where a shape is also a domain type
 * (an address, money), `satisfies` ties the two, so neither changes without the other. Beside each response
 * shape, the function that makes it from stored data. This file: the building blocks every resource uses,
 * and the error and health bodies.
 */
import 'zod-openapi';
import { z } from 'zod';
import type { Address as DomainAddress, Customer as DomainCustomer, GeoPoint as DomainGeoPoint } from '../../domain/customer.js';
import type { Money as DomainMoney } from '../../domain/money.js';

const identifier = (what: string, max = 64) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, `${what} may hold letters, digits, '.', '_' and '-'`);

/**
 * Text a client sends: any characters but control characters (NUL, line breaks, tabs, escapes, C1), which
 * would end up in emails, timelines and logs. Its length counts characters (code points), as JSON Schema's
 * minLength and maxLength do, not UTF-16 units as zod's min and max would (an emoji is one, not two).
 */
export const Text = (min: number, max: number) =>
  z
    .string()
    // eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
    .regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, 'must not contain control characters (such as NUL, tabs or line breaks)')
    .refine((text) => {
      const length = [...text].length;
      return length >= min && length <= max;
    }, `must be ${min === max ? min : `${min} to ${max}`} characters long`)
    .meta({ minLength: min, maxLength: max });

export const Sku = identifier('a SKU').meta({ id: 'Sku', example: 'TSHIRT-BLUE-M' });
/**
 * Path segments that /v1/inventory/{sku}/... uses for its own sub-resources, so no warehouse may be named
 * after them (`PUT /v1/inventory/{sku}/settings` would otherwise be ambiguous).
 */
export const RESERVED_WAREHOUSE_IDS = ['settings', 'movements'] as const;
export const WarehouseId = identifier('a warehouse id')
  .refine((id) => !(RESERVED_WAREHOUSE_IDS as readonly string[]).includes(id), `${RESERVED_WAREHOUSE_IDS.join(' and ')} are reserved words, not warehouse ids`)
  .meta({ id: 'WarehouseId', example: 'wh-berlin' });
export const OrderId = identifier('an order id').meta({ id: 'OrderId', example: 'ord_3f2a9c0d1e4b5a6978c1d2e3' });
export const ShipmentId = identifier('a shipment id').meta({ id: 'ShipmentId', example: 'shp_4b5a6978c1d2e3f2a9c0' });
/** `<orderId>-<n>`: the order's n-th return. */
export const ReturnId = identifier('a return id', 80).meta({ id: 'ReturnId', example: 'ord_3f2a9c0d1e4b5a6978c1d2e3-1' });
export const CountryCode = z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code such as "DE"').meta({ example: 'DE' });
export const CurrencyCode = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as "EUR"').meta({ example: 'EUR' });
export const MinorUnits = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).meta({ description: 'Integer minor units (cents)' });
export const Timestamp = z.string().meta({ format: 'date-time', example: '2026-11-28T09:30:00.000Z' });

export const GeoPoint = z.strictObject({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) }).meta({ id: 'GeoPoint' }) satisfies z.ZodType<DomainGeoPoint>;

export const Money = z.strictObject({ amount: MinorUnits, currency: CurrencyCode }).meta({ id: 'Money' }) satisfies z.ZodType<DomainMoney>;

export const Customer = z
  .strictObject({ id: Text(1, 128), email: z.email().max(254), name: Text(1, 200).optional() })
  .meta({ id: 'Customer' }) satisfies z.ZodType<DomainCustomer>;

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
  .meta({ id: 'Address' }) satisfies z.ZodType<DomainAddress>;


export const Quantity = z.number().int().min(0).max(1_000_000_000);

export const PageLimit = z.coerce.number().int().min(1).max(100).default(20);
/**
 * Where a list goes on: the `nextCursor` of the page before, as the API returned it (base64url). It is
 * opaque: a string of that alphabet the API did not return is refused (400) like a malformed one.
 */
export const pageCursor = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9_-]*$/, 'not a cursor this API returned')
    .optional()
    .meta({
      description: 'The `nextCursor` of the previous page, as returned (base64url; opaque). Any other value is a 400; absent or empty: the first page',
    });
export const PageCursor = pageCursor(500);

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

export const Health = z.object({
  status: z.enum(['ok', 'unavailable', 'draining']).meta({ description: 'draining: the process was told to stop and finishes what it has' }),
  checks: z.record(z.string(), z.boolean()).optional(),
});
