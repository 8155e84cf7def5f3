/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, quote, CR or LF, quotes doubled. A cell that a spreadsheet
 * would run as a formula (starting with = + - @, or a tab or CR that some strip first) gets a leading apostrophe,
 * so an audit detail an agent or user wrote cannot become a formula in whoever opens the export.
 */
export function csvCell(value: string | null | undefined): string {
  if (value == null) return '';
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(cells: (string | null | undefined)[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}
