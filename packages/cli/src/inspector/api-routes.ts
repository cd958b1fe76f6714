import type { IncomingMessage, ServerResponse } from "node:http";
import { type Client, ExecutionFinishedError, ExecutionNotFoundError, SteplineError } from "@stepline/core";
import { type ListedExecution, listedExecution } from "../commands/list.js";
import { toJsonValue } from "../format/json-value.js";
import { relativeStacks } from "../format/relative-stacks.js";
import { type ExecutionReport, loadExecutionReport } from "../journal/execution-report.js";
import { positiveIntegerOption, statusOption } from "../option-values.js";
import { whereOption } from "../where-option.js";
import type { CompiledDiagrams } from "./compiled-diagrams.js";
import { HttpError, readJsonBody, sendJson } from "./http-helpers.js";
import { streamChanges } from "./live-updates.js";

/** What the API routes work on. */
export interface ApiContext {
  client: Client;
  /** How the store is named, for the page's header. */
  storeLabel: string;
  /** Aborted when the server closes: ends the live streams. */
  closing: AbortSignal;
  /** The compiled machines of `stepline ui --workflows`, for the diagrams. */
  diagrams?: CompiledDiagrams;
}

/**
 * The inspector's JSON API:
 *
 * | route                                   | answer                                           |
 * |-----------------------------------------|--------------------------------------------------|
 * | GET  /api/info                          | `{ store }`                                      |
 * | GET  /api/executions?status&workflow&where&limit | the list, as `stepline list --json`     |
 * | GET  /api/live?status&workflow&where&limit&after | the same, as Server-Sent Events on each change |
 * | GET  /api/executions/:id?at=SEQ         | the report, as `stepline inspect --json`; with `at`, as of that event |
 * | GET  /api/executions/:id/live           | the report, as Server-Sent Events on each change |
 * | POST /api/executions/:id/events         | `{ name, payload }`: sends an event              |
 * | POST /api/executions/:id/cancel         | `{ reason? }`: requests cancellation             |
 * | POST /api/executions/:id/redrive        | `{}`: a failed execution goes on from its failed steps |
 * | POST /api/executions/:id/resume         | `{}`: a blocked execution is retried by a worker |
 *
 * `where` is one `name=value` search attribute pair, repeatable (all must match), read as
 * `stepline list --where` reads it and answered with `client.list({ where })`.
 *
 * Resolves false when the path is not an API route.
 */
export async function handleApi(
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  api: ApiContext,
): Promise<boolean> {
  const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] !== "api") return false;
  const method = request.method ?? "GET";
  const [, noun, id, action] = parts;
  try {
    if (method === "GET" && noun === "info" && parts.length === 2) {
      sendJson(response, 200, { store: api.storeLabel });
    } else if (method === "GET" && noun === "executions" && parts.length === 2) {
      sendJson(response, 200, await listExecutions(api.client, url.searchParams));
    } else if (method === "GET" && noun === "live" && parts.length === 2) {
      streamChanges(request, response, {
        event: "executions",
        read: () => listExecutions(api.client, url.searchParams),
        key: (list) => JSON.stringify(list.map(({ durationMs: _, ...rest }) => rest)),
        stop: api.closing,
      });
    } else if (method === "GET" && noun === "executions" && id && parts.length === 3) {
      const at = url.searchParams.get("at");
      const seq = at === null ? undefined : nonNegativeInteger(at);
      sendJson(response, 200, toJsonValue(await loadReport(api, id, seq)));
    } else if (method === "GET" && noun === "executions" && id && action === "live" && parts.length === 4) {
      streamChanges(request, response, {
        event: "execution",
        read: async () => toJsonValue(await loadReport(api, id)) as ExecutionReport,
        key: (report) => reportKey(report),
        stop: api.closing,
      });
    } else if (
      method === "POST" &&
      noun === "executions" &&
      id &&
      action === "events" &&
      parts.length === 4
    ) {
      const body = await readJsonBody(request);
      if (typeof body.name !== "string" || body.name === "")
        throw new HttpError(400, "name must be a non-empty string");
      await api.client.sendEvent(id, body.name, body.payload);
      sendJson(response, 200, { id, event: body.name, sent: true });
    } else if (
      method === "POST" &&
      noun === "executions" &&
      id &&
      action === "cancel" &&
      parts.length === 4
    ) {
      const body = await readJsonBody(request);
      const reason = typeof body.reason === "string" && body.reason ? body.reason : undefined;
      await api.client.cancel(id, reason === undefined ? {} : { reason });
      sendJson(response, 200, { id, cancelRequested: true });
    } else if (
      method === "POST" &&
      noun === "executions" &&
      id &&
      action === "redrive" &&
      parts.length === 4
    ) {
      await readJsonBody(request);
      await api.client.redrive(id, { reason: "redriven from the inspector" });
      sendJson(response, 200, { id, redriven: true });
    } else if (
      method === "POST" &&
      noun === "executions" &&
      id &&
      action === "resume" &&
      parts.length === 4
    ) {
      await readJsonBody(request);
      sendJson(response, 200, { id, resumed: await api.client.resume(id) });
    } else {
      throw new HttpError(404, `no API route ${method} ${url.pathname}`);
    }
  } catch (error) {
    const [status, message] = httpStatusOf(error);
    if (!response.headersSent) sendJson(response, status, { error: message });
  }
  return true;
}

async function listExecutions(client: Client, params: URLSearchParams): Promise<ListedExecution[]> {
  const status = statusOption(params.get("status") || undefined);
  const workflow = params.get("workflow") || undefined;
  const limit = positiveIntegerOption("limit", params.get("limit") || undefined) ?? 100;
  // `where=name=value`, repeatable, read as `stepline list --where` reads it (a bad one is a 400).
  const where = whereOption(params.getAll("where").filter((pair) => pair !== ""));
  // `after=ID`: the page after that execution (the last of the page before), newest first.
  const afterId = params.get("after") || undefined;
  const after = afterId === undefined ? undefined : await client.describe(afterId);
  const list = await client.list({
    ...(after ? { after } : {}),
    limit,
    ...(status ? { status } : {}),
    ...(workflow ? { workflow } : {}),
    ...(where ? { where } : {}),
  });
  const now = Date.now();
  return list.map((execution) => listedExecution(execution, now));
}

/**
 * The execution's report, stacks relative to the working directory, with its compiled
 * diagram when a `--workflows` file defines its workflow.
 */
async function loadReport(api: ApiContext, id: string, at?: number): Promise<ExecutionReport> {
  const options = at === undefined ? {} : { at };
  const report = relativeStacks(await loadExecutionReport(api.client, id, options), process.cwd());
  const diagram = await api.diagrams?.diagramFor(report.execution.workflow, report.events, report.states);
  return diagram ? { ...report, diagram } : report;
}

function reportKey(report: ExecutionReport): string {
  const { execution } = report;
  return `${execution.status}|${execution.historyLength}|${execution.updatedAt}|${execution.cancelRequested}`;
}

function httpStatusOf(error: unknown): [number, string] {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof HttpError) return [error.status, message];
  if (ExecutionNotFoundError.is(error)) return [404, message];
  if (ExecutionFinishedError.is(error)) return [409, message];
  if (SteplineError.is(error) && error.code === "STEPLINE_INVALID_ARGUMENT") return [400, message];
  if ((error as { exitCode?: number }).exitCode === 2) return [400, message];
  return [500, message];
}

/** `?at=SEQ`: a non-negative integer, else a 400. */
function nonNegativeInteger(text: string): number {
  if (!/^\d+$/.test(text))
    throw new HttpError(400, `at must be a journal seq (0, 1, 2, ...), not ${JSON.stringify(text)}`);
  return Number(text);
}
