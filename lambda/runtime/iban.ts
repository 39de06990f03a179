/**
 * ISO 13616 mod-97 check: move the first four characters to the end, letters to numbers (A=10 ..
 * Z=35), and the remainder modulo 97 must be 1. Pure (no Zod), so the bench's baseline schemas can use
 * the very same check as `lambda/schemas/common.ts`.
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
