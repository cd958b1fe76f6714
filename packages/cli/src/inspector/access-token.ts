/**
 * The inspector's token, for an inspector reachable from other hosts (`stepline ui
 * --host 0.0.0.0`): every request, page, API and action alike, must carry it, as
 * `authorization: Bearer <token>`, an `x-stepline-token` header, or the
 * `stepline_token` cookie. The URL `stepline ui` prints once has it as `?token=`: opening
 * it sets the cookie (HttpOnly, SameSite=Strict) and redirects to the same page
 * without it, so the token leaves the address bar and the browser's history.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

const COOKIE = "stepline_token";

/** A fresh token: 24 random bytes, base64url (32 characters). */
export function newAccessToken(): string {
  return randomBytes(24).toString("base64url");
}

/** What the token check decided for one request. */
export type TokenVerdict =
  | { ok: true }
  /** The token came in the query: answered with the cookie and a redirect to `location`. */
  | { ok: "redirect"; location: string }
  | { ok: false; error: string };

/**
 * Checks `request` against `token`: header, cookie, or `?token=` (the printed URL).
 *
 * @example
 * const verdict = checkAccessToken(request, url, token);
 * if (verdict.ok === false) sendJson(response, 401, { error: verdict.error });
 */
export function checkAccessToken(request: IncomingMessage, url: URL, token: string): TokenVerdict {
  const fromQuery = url.searchParams.get("token");
  if (fromQuery !== null && sameToken(fromQuery, token)) {
    url.searchParams.delete("token");
    return { ok: "redirect", location: `${url.pathname}${url.search}` };
  }
  const given =
    bearer(request.headers.authorization) ?? header(request.headers["x-stepline-token"]) ?? cookie(request);
  if (given !== undefined && sameToken(given, token)) return { ok: true };
  return {
    ok: false,
    error:
      given === undefined && fromQuery === null
        ? "this inspector is open to other hosts and needs its token: open the URL `stepline ui` printed, or " +
          "send `authorization: Bearer <token>`"
        : "wrong inspector token: use the one `stepline ui` printed (or STEPLINE_UI_TOKEN)",
  };
}

/** Answers a `?token=` visit: the cookie, and the page without the token in its address. */
export function sendTokenRedirect(response: ServerResponse, location: string, token: string): void {
  response.writeHead(303, {
    location,
    "set-cookie": `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
    "cache-control": "no-store",
  });
  response.end();
}

function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function bearer(value: string | undefined): string | undefined {
  const match = value?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1];
}

function header(value: string | string[] | undefined): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function cookie(request: IncomingMessage): string | undefined {
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === COOKIE) return rest.join("=");
  }
  return undefined;
}
