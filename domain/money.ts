/** Money is integer minor units (cents) with an ISO 4217 currency: no floating point anywhere. */

export interface Money {
  /** Minor units, a non-negative safe integer. */
  amount: number;
  currency: string;
}

/** Sum of quantity x unit price over the lines; throws rather than lose precision. */
export function orderTotal(lines: ReadonlyArray<{ quantity: number; unitPrice: number }>, currency: string): Money {
  let amount = 0;
  for (const line of lines) {
    if (!Number.isSafeInteger(line.quantity) || !Number.isSafeInteger(line.unitPrice)) {
      throw new RangeError('quantities and prices must be integers');
    }
    amount += line.quantity * line.unitPrice;
    if (!Number.isSafeInteger(amount)) throw new RangeError('order total is too large');
  }
  return { amount, currency };
}

/** `3998 EUR` minor units -> `39.98 EUR`, by string arithmetic so large amounts keep every digit. */
export function formatMoney({ amount, currency }: Money): string {
  const digits = currencyMinorDigits(currency);
  const sign = amount < 0 ? '-' : '';
  const units = String(Math.abs(amount)).padStart(digits + 1, '0');
  const major = digits === 0 ? units : `${units.slice(0, -digits)}.${units.slice(-digits)}`;
  return `${sign}${major} ${currency}`;
}

/** ISO 4217 currencies whose minor unit is not 1/100. */
const MINOR_DIGITS: Record<string, number> = { JPY: 0, KRW: 0, ISK: 0, CLP: 0, VND: 0, BHD: 3, KWD: 3, OMR: 3, TND: 3, JOD: 3 };

function currencyMinorDigits(currency: string): number {
  return MINOR_DIGITS[currency] ?? 2;
}
