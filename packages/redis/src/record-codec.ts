import type { AttributeValue, ExecutionRecord, ExecutionStatus, SearchAttributes } from "@stepline/core";

/**
 * The execution record as a Redis hash, so that Lua can read and change single
 * fields. Fields: id, workflow, status, createdAt, updatedAt, dueAt, token,
 * leaseOwner, journalLength, inboxLength, cancelRequested ("1"), cancelReason,
 * blockedReason, currentStep, run (absent in records written before runs: read as 1),
 * version (absent in records written before versions: read as 1),
 * and `a:<name>` per search attribute, its typed value (`attributeIndexValue`: "s:c-42",
 * "n:12.5", "b:true"). A field that is null in ExecutionRecord is absent.
 */
export function parseRecord(flat: readonly unknown[], from = 0): ExecutionRecord | undefined {
  if (flat.length <= from) return undefined;
  const fields = new Map<string, string>();
  for (let i = from; i + 1 < flat.length; i += 2) fields.set(String(flat[i]), String(flat[i + 1]));
  const text = (name: string) => fields.get(name) ?? null;
  const number = (name: string) => Number(fields.get(name));
  const dueAt = text("dueAt");
  const reason = text("cancelReason");
  let attributes: Record<string, AttributeValue> | undefined;
  for (const [field, value] of fields) {
    if (!field.startsWith("a:")) continue;
    attributes ??= {};
    attributes[field.slice(2)] = parseAttributeValue(value);
  }
  const record: ExecutionRecord = {
    id: text("id") ?? "",
    workflow: text("workflow") ?? "",
    status: text("status") as ExecutionStatus,
    createdAt: number("createdAt"),
    updatedAt: number("updatedAt"),
    dueAt: dueAt === null ? null : Number(dueAt),
    token: number("token"),
    leaseOwner: text("leaseOwner"),
    journalLength: number("journalLength"),
    inboxLength: number("inboxLength"),
    cancelRequested: text("cancelRequested") === null ? null : reason === null ? {} : { reason },
    blockedReason: text("blockedReason"),
    currentStep: text("currentStep"),
    run: fields.has("run") ? number("run") : 1,
    version: fields.has("version") ? number("version") : 1,
  };
  if (attributes) record.attributes = attributes;
  return record;
}

/** A typed value as `a:<name>` fields and index entries hold it, back to the value. */
export function parseAttributeValue(text: string): AttributeValue {
  const body = text.slice(2);
  if (text.startsWith("n:")) return Number(body);
  if (text.startsWith("b:")) return body === "true";
  return body;
}

/** The attributes of a record, for a sync of the index (none: an empty object). */
export function attributesOf(record: ExecutionRecord): SearchAttributes {
  return record.attributes ?? {};
}

/** A script's reply: a code, a detail, then the record as it is after the script. */
export interface ScriptReply {
  code: string;
  detail: string;
  record: ExecutionRecord | undefined;
}

export function parseReply(raw: unknown): ScriptReply {
  const reply = raw as unknown[];
  return { code: String(reply[0]), detail: String(reply[1] ?? ""), record: parseRecord(reply, 2) };
}

/** The reply of claim-execution.lua (run for Buffers): the script reply plus the entries read with it. */
export interface ClaimReply extends ScriptReply {
  journal: Uint8Array[];
  inbox: Uint8Array[];
}

export function parseClaimReply(raw: unknown): ClaimReply {
  const reply = raw as unknown[];
  // The reply's buffers are views of socket chunks: keep copies of our own.
  const entries = (list: unknown) => (list as Buffer[]).map((entry) => new Uint8Array(entry));
  return {
    code: String(reply[0]),
    detail: String(reply[1] ?? ""),
    journal: entries(reply[2]),
    inbox: entries(reply[3]),
    record: parseRecord(reply, 4),
  };
}

/** A nullable argument for Lua: "" is null, "=<value>" is the value (so "" itself survives). */
export function nullable(value: string | number | null | undefined): string {
  return value === null || value === undefined ? "" : `=${value}`;
}

/** A cancellation request as the scripts report it: "" none, "-" without reason, "=<reason>". */
export function parseCancel(detail: string): { reason?: string } | null {
  if (detail === "") return null;
  return detail.startsWith("=") ? { reason: detail.slice(1) } : {};
}
