import { visibleLength } from "../colour.js";

/**
 * Lays out rows as aligned columns under a header and a rule, two spaces apart,
 * trailing spaces trimmed. Cells may hold ANSI colour: widths count visible characters.
 *
 * @example
 * renderTable(["id", "status"], [["order-1", "succeeded"]]);
 * // id       status
 * // -------  ---------
 * // order-1  succeeded
 */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, c) =>
    Math.max(visibleLength(title), ...rows.map((row) => visibleLength(row[c] ?? ""))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => cell + " ".repeat(Math.max(0, (widths[c] ?? 0) - visibleLength(cell))))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/**
 * Lays out `label  value` pairs with the labels padded to one width.
 *
 * @example
 * renderFields([["status", "failed"], ["workflow", "charge"]]);
 * // status    failed
 * // workflow  charge
 */
export function renderFields(fields: readonly (readonly [string, string])[]): string {
  const width = Math.max(...fields.map(([label]) => label.length));
  return fields
    .map(([label, value]) => `${label.padEnd(width)}  ${value.replace(/\n/g, `\n${" ".repeat(width + 2)}`)}`)
    .join("\n");
}
