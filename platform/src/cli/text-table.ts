/**
 * Columns of text aligned for a terminal: a header row, then one row per item. Numbers read best
 * right-aligned; the last column is not padded, so lines carry no trailing blanks.
 */
export interface Column {
  header: string;
  alignRight?: boolean;
}

export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    columns
      .map((c, i) => {
        const cell = cells[i] ?? '';
        if (c.alignRight) return cell.padStart(widths[i]!);
        return i === columns.length - 1 ? cell : cell.padEnd(widths[i]!);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map(line)].join('\n') + '\n';
}
