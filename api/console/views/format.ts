/** How the console writes values: money, times, statuses. */
import { formatMoney } from '../../../domain/money.js';

export const money = (amount: number, currency: string) => formatMoney({ amount, currency });

/** `2026-12-01 18:45 UTC`: unambiguous for support anywhere. */
export function when(iso: string | undefined): string {
  if (!iso) return '';
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** `awaiting_review` -> `awaiting review`. */
export const statusText = (status: string) => status.replace(/_/g, ' ');
