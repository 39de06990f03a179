/** Renders rows as an aligned plain-text table (numbers right-aligned). */
export function table(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[], raw?: readonly (string | number)[]): string => r.map((c, i) => {
    const w = widths[i] ?? 0;
    return typeof raw?.[i] === 'number' ? c.padStart(w) : c.padEnd(w);
  }).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map((r, i) => line(r, rows[i]))].join('\n');
}

/** Numbers with sensible precision for the table. */
export function fmt(n: number): string {
  if (!Number.isFinite(n)) return '-';
  const a = Math.abs(n);
  return a >= 1000 ? Math.round(n).toLocaleString('en-US') : a >= 100 ? n.toFixed(0) : a >= 10 ? n.toFixed(1) : n.toFixed(2);
}

/** Bytes as KB (1 KB = 1000 bytes, the unit the targets use). */
export function kb(bytes: number): number {
  return bytes / 1000;
}
