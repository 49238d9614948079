/** How values read on the console's pages. */
export function budgetText(maxBudget: number | null | undefined): string {
  return maxBudget === null || maxBudget === undefined ? '—' : `$${maxBudget}`;
}

export function listText(values: readonly string[]): string {
  return values.length === 0 ? '—' : values.join(', ');
}

export function orDash(value: string | null | undefined): string {
  return value === null || value === undefined || value === '' ? '—' : value;
}

/** `2024-05-01 12:00:00 UTC`: one zone for everyone, as the run records are kept. */
export function whenText(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '—';
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return iso;
  return `${new Date(time).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function durationText(ms: number | undefined): string {
  if (ms === undefined) return '—';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}
