/**
 * Stand-ins for the databases a report reads and for the report store it writes to.
 * Each call takes a little while. Tests and the journal recorder flip the knobs in
 * `outages` to make a source fail: `flaky` fails a source's first N calls and then lets
 * it through, `down` fails every call. `sourceCalls` counts what really ran: calls per
 * source, and how many fetches were running at once (its peak).
 */

/** The databases a report can read. */
export type SourceName = "crm" | "billing" | "warehouse" | "support" | "marketing";

/** A row as one source keeps it: each source names its columns its own way. */
export interface SourceRow {
  id: string;
  [column: string]: string | number;
}

/** A row of the report: one account's figure from one source. */
export interface ReportRow {
  source: SourceName;
  account: string;
  value: number;
}

/** A source that cannot be reached: the retry policy of the fetch step retries it. */
export class SourceUnavailableError extends Error {
  override name = "SourceUnavailableError";
}

/** Each source's table for the period, and how long a query takes there (ms). */
const TABLES: Record<SourceName, { column: string; latency: number; rows: Array<[string, number]> }> = {
  crm: {
    column: "open_deals",
    latency: 300,
    rows: [
      ["acme", 4],
      ["globex", 2],
      ["initech", 7],
    ],
  },
  billing: {
    column: "invoiced_cents",
    latency: 40,
    rows: [
      ["acme", 125_000],
      ["globex", 48_000],
    ],
  },
  warehouse: {
    column: "units_shipped",
    latency: 90,
    rows: [
      ["acme", 310],
      ["globex", 95],
      ["initech", 40],
      ["umbrella", 12],
    ],
  },
  support: {
    column: "tickets",
    latency: 30,
    rows: [
      ["acme", 3],
      ["initech", 9],
    ],
  },
  marketing: {
    column: "campaign_clicks",
    latency: 60,
    rows: [
      ["globex", 1_200],
      ["umbrella", 640],
    ],
  },
};

export const outages = {
  /** Sources that fail their next N calls, then answer. */
  flaky: new Map<SourceName, number>(),
  /** Sources that fail every call. */
  down: new Set<SourceName>(),
  reset() {
    this.flaky.clear();
    this.down.clear();
  },
};

export const sourceCalls = {
  /** Calls per source, failed ones included. */
  perSource: new Map<SourceName, number>(),
  /** Fetches running now, and the most that ever ran at once. */
  running: 0,
  peak: 0,
  reset() {
    this.perSource.clear();
    this.running = 0;
    this.peak = 0;
  },
};

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const sources = {
  /** Reads a source's rows for the period (e.g. "2026-11"). */
  async fetch(source: SourceName, period: string): Promise<SourceRow[]> {
    sourceCalls.perSource.set(source, (sourceCalls.perSource.get(source) ?? 0) + 1);
    sourceCalls.running += 1;
    sourceCalls.peak = Math.max(sourceCalls.peak, sourceCalls.running);
    try {
      const table = TABLES[source];
      await pause(table.latency);
      const failuresLeft = outages.flaky.get(source) ?? 0;
      if (failuresLeft > 0) {
        outages.flaky.set(source, failuresLeft - 1);
        throw new SourceUnavailableError(`${source}: connection reset by peer`);
      }
      if (outages.down.has(source)) throw new SourceUnavailableError(`${source}: connection refused`);
      return table.rows.map(([id, value]) => ({ id, period, [table.column]: value }));
    } finally {
      sourceCalls.running -= 1;
    }
  },

  /** Maps a source's own columns onto the report's rows. */
  async normalise(source: SourceName, rows: SourceRow[]): Promise<ReportRow[]> {
    await pause(10);
    const column = TABLES[source].column;
    return rows.map((row) => ({ source, account: row.id, value: Number(row[column]) }));
  },
};

/** The rows of every report written, by report id. */
export const writtenReports = new Map<string, ReportRow[]>();

export const reports = {
  /** Stores the report and says where. */
  async write(reportId: string, rows: ReportRow[]): Promise<{ location: string; rows: number }> {
    await pause(20);
    writtenReports.set(reportId, rows);
    return { location: `s3://reports/${reportId}.csv`, rows: rows.length };
  },
};
