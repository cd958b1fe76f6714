import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Client } from "@stepline/core";
import { checkAccessToken, newAccessToken, sendTokenRedirect } from "./access-token.js";
import { handleApi } from "./api-routes.js";
import type { CompiledDiagrams } from "./compiled-diagrams.js";
import { sendJson } from "./http-helpers.js";
import { loadStaticFiles } from "./static-files.js";

/** Options of {@link startInspectorServer}. */
export interface InspectorServerOptions {
  /** A client on the store to show. */
  client: Client;
  /** How the store is named on the page. */
  storeLabel: string;
  /** Interface to listen on. Default 127.0.0.1: only this host can open the page. */
  host?: string;
  /** Port; 0 picks a free one. Default 4800. */
  port?: number;
  /** Compiled workflows: executions of these show the whole state machine, coloured. */
  diagrams?: CompiledDiagrams;
  /**
   * The token every request must carry (access-token.ts). Required, and made up when
   * not given, on any address but loopback; on loopback only checked when given.
   */
  token?: string;
}

/** A running inspector. */
export interface InspectorServer {
  /** `http://127.0.0.1:4800/`. */
  readonly url: string;
  /** The URL to open once, with the token as `?token=` (the same as `url` without a token). */
  readonly openUrl: string;
  /** The token requests must carry, if any. */
  readonly token: string | undefined;
  readonly port: number;
  /** Ends the live streams and stops listening. */
  close(): Promise<void>;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/**
 * Serves the inspector page and its JSON API (see api-routes.ts) with node:http.
 *
 * On a loopback address it answers only requests whose Host header names a loopback
 * address (no DNS rebinding), and every POST must carry a JSON content type and, if
 * it has an Origin, this server's own: another site open in the browser cannot send
 * events or cancel executions through it. On any other address every request must
 * also carry the token (access-token.ts); a request without it is refused with 401.
 *
 * @example
 * const server = await startInspectorServer({ client: engine.client, storeLabel: "the store at .stepline", port: 0 });
 * console.log(server.url);
 * await server.close();
 */
export async function startInspectorServer(options: InspectorServerOptions): Promise<InspectorServer> {
  const host = options.host ?? "127.0.0.1";
  const files = loadStaticFiles();
  const closing = new AbortController();
  const api = {
    client: options.client,
    storeLabel: options.storeLabel,
    closing: closing.signal,
    ...(options.diagrams ? { diagrams: options.diagrams } : {}),
  };
  const loopbackOnly = LOOPBACK.has(host);
  const token = options.token ?? (loopbackOnly ? undefined : newAccessToken());

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const hostHeader = request.headers.host ?? "";
    const refusal = refuse(request, hostHeader, loopbackOnly);
    if (refusal) {
      sendJson(response, 403, { error: refusal });
      return;
    }
    const url = new URL(request.url ?? "/", `http://${hostHeader || "localhost"}`);
    const verdict = token === undefined ? { ok: true as const } : checkAccessToken(request, url, token);
    if (verdict.ok === false) return sendJson(response, 401, { error: verdict.error });
    if (verdict.ok === "redirect") return sendTokenRedirect(response, verdict.location, token as string);
    if (await handleApi(request, response, url, api)) return;
    const file = request.method === "GET" || request.method === "HEAD" ? files.get(url.pathname) : undefined;
    if (!file) {
      sendJson(response, 404, { error: `not found: ${url.pathname}` });
      return;
    }
    response.writeHead(200, { "content-type": file.type, "cache-control": "no-cache" });
    response.end(request.method === "HEAD" ? undefined : file.body);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: Error) => {
      if (!response.headersSent) sendJson(response, 500, { error: error.message });
      else response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 4800, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}/`;
  return {
    url,
    openUrl: token === undefined ? url : `${url}?token=${token}`,
    token,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Why a request is refused, or undefined to serve it. */
function refuse(request: IncomingMessage, hostHeader: string, loopbackOnly: boolean): string | undefined {
  const hostname = hostHeader.replace(/:\d+$/, "");
  if (loopbackOnly && !LOOPBACK.has(hostname)) return `host "${hostHeader}" is not this inspector`;
  if (request.method === "POST") {
    if (!(request.headers["content-type"] ?? "").startsWith("application/json")) {
      return "actions need a JSON body (content-type: application/json)";
    }
    const origin = request.headers.origin;
    if (origin && origin !== `http://${hostHeader}`)
      return `origin ${origin} may not act through this inspector`;
  }
  return undefined;
}
