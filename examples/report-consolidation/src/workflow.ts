import { workflow } from "@stepline/core";
import { type ReportRow, reports, type SourceName, sources } from "./services.js";

/** What to consolidate: the report's id, the period it covers and the sources to read. */
export interface ReportRequest {
  reportId: string;
  /** The period, as the sources filter on it, e.g. "2026-11". */
  period: string;
  sources: SourceName[];
}

/** What was written: the report's location, rows per source, and the sources left out. */
export interface ReportSummary {
  reportId: string;
  location: string;
  totalRows: number;
  rowsPerSource: Partial<Record<SourceName, number>>;
  /** Sources that stayed down through every retry: the report was written without them. */
  missing: SourceName[];
}

/**
 * Consolidates data from several databases into one report: fetches every source, two
 * at a time, normalises its rows, and writes the report. One source that stays down
 * through its retries is left out (and named in `missing`); a second one fails the run
 * with MapFailedError.
 */
export const consolidateReport = workflow(
  "consolidateReport",
  async (ctx, request: ReportRequest): Promise<ReportSummary> => {
    const fetched = await ctx.map(
      "fetch-sources",
      request.sources,
      async (ctx, source) => {
        const raw = await ctx.step(`fetch-${source}`, () => sources.fetch(source, request.period), {
          retry: { maxAttempts: 4, initialInterval: "250ms", backoffRate: 2 },
        });
        return ctx.step(`normalise-${source}`, () => sources.normalise(source, raw));
      },
      { concurrency: 2, toleratedFailures: 1 },
    );

    const rows: ReportRow[] = [];
    const rowsPerSource: Partial<Record<SourceName, number>> = {};
    const missing: SourceName[] = [];
    for (const result of fetched) {
      const source = request.sources[result.index] as SourceName;
      if (result.ok) {
        rows.push(...result.value);
        rowsPerSource[source] = result.value.length;
      } else {
        missing.push(source);
      }
    }

    const written = await ctx.step("write-report", () => reports.write(request.reportId, rows));
    const summary: ReportSummary = {
      reportId: request.reportId,
      location: written.location,
      totalRows: written.rows,
      rowsPerSource,
      missing,
    };
    return summary;
  },
);
