import { getCountrySpecifications, isValidIBAN } from 'ibantools';

/**
 * ISO 13616 mod-97 check: move the first four characters to the end, letters to numbers (A=10 ..
 * Z=35), and the remainder modulo 97 must be 1. Pure (no Zod), so the bench's baseline schemas can use
 * the very same check as `lambda/runtime/schemas.ts`. On its own it is not an IBAN check: it accepts
 * any country, any length, and check digits 00, 01 and 99 (congruent to 97, 98 and 02); see {@link ibanValid}.
 */
export function ibanChecksumValid(iban: string): boolean {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    // A..Z -> 10..35; digits stay digits. Processed digit by digit so the number never overflows.
    const digits = code >= 65 && code <= 90 ? String(code - 55) : ch;
    for (const d of digits) remainder = (remainder * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return remainder === 1;
}

/**
 * Countries of the SWIFT IBAN registry (ISO 13616), from `ibantools`' specifications. ibantools
 * also knows national formats that are not in the registry (e.g. several African countries); a
 * payment to one of those is refused here, since SEPA/SWIFT routing only knows registry IBANs.
 */
const REGISTRY_COUNTRIES: ReadonlySet<string> = new Set(Object.entries(getCountrySpecifications())
  .filter(([, spec]) => spec.IBANRegistry && spec.chars !== null)
  .map(([country]) => country));

/** Check digits as computed by ISO 13616 are 98 − (n mod 97): always 02..98. */
const CHECK_DIGITS = /^(?:0[2-9]|[1-8][0-9]|9[0-8])$/;

/**
 * A valid IBAN in electronic format: a country of the IBAN registry, that country's length and
 * BBAN format (and national check digits where ibantools knows them), check digits 02..98, and
 * the mod-97 checksum.
 */
export function ibanValid(iban: string): boolean {
  return REGISTRY_COUNTRIES.has(iban.slice(0, 2))
    && CHECK_DIGITS.test(iban.slice(2, 4))
    && isValidIBAN(iban, { allowQRIBAN: true })
    && ibanChecksumValid(iban);
}
