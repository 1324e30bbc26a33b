const usd = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** Dollars as people read them in messages: $1,234.56. */
export function formatUsd(amount: number): string {
  return usd.format(amount);
}
