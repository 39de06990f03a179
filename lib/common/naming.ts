/** `create-payment` / `post /payments` -> `CreatePayment` / `PostPayments` (construct ids, model names). */
export function pascal(s: string): string {
  return s.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

/** `PaymentsApi` -> `payments-api` (service names). */
export function kebab(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/[^A-Za-z0-9]+/g, '-').toLowerCase();
}
