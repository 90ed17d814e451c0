import type { Money } from '../../schemas/index.ts';

/** Formats minor units for people, using the currency's own number of decimals (JPY has none, EUR two). */
export function formatMoney({ amount, currency }: Money, locale = 'en'): string {
  const format = new Intl.NumberFormat(locale, { style: 'currency', currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(amount / 10 ** digits);
}
