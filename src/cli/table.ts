/**
 * Plain-text tables for `tempohook get`: columns sized to their content, two spaces apart,
 * cells longer than the column limit cut with `…` so one long reason cannot wrap a row.
 */

export interface TableOptions {
  /** Widest a cell may be before it is truncated (default 60). */
  maxCellWidth?: number;
  /** Per-column overrides of `maxCellWidth`, by header. */
  maxWidths?: Record<string, number>;
}

const ELLIPSIS = '…';

/** What a cell may hold; null and undefined print as `-`. */
export type Cell = string | number | boolean | null | undefined;

/** A cell as one line: empty becomes `-`, control characters a space. */
function cellText(value: Cell): string {
  if (value === null || value === undefined || value === '') return '-';
  // eslint-disable-next-line no-control-regex
  return String(value).replace(/[\u0000-\u001f\u007f]+/g, ' ');
}

/** Cuts `text` to at most `width` characters (code points), ending with `…` when cut. */
export function truncate(text: string, width: number): string {
  const chars = Array.from(text);
  if (chars.length <= width) return text;
  if (width <= 1) return ELLIPSIS.slice(0, width);
  return chars.slice(0, width - 1).join('') + ELLIPSIS;
}

/** Renders `rows` under `headers`; every line ends with "\n", trailing spaces trimmed. */
export function formatTable(
  headers: readonly string[],
  rows: ReadonlyArray<readonly Cell[]>,
  options: TableOptions = {},
): string {
  const limitOf = (header: string) => options.maxWidths?.[header] ?? options.maxCellWidth ?? 60;
  const cells = rows.map((row) => headers.map((header, i) => truncate(cellText(row[i]), limitOf(header))));
  const widths = headers.map((header, i) =>
    Math.max(Array.from(header).length, ...cells.map((row) => Array.from(row[i]!).length)),
  );
  const line = (values: readonly string[]) =>
    values
      .map((value, i) => value + ' '.repeat(widths[i]! - Array.from(value).length))
      .join('  ')
      .trimEnd() + '\n';
  return line(headers) + cells.map(line).join('');
}
