import { createEngine, memoryStore } from "@stepline/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type InspectorServer, startInspectorServer } from "./inspector-server.js";

const engine = createEngine({ store: memoryStore(), log: () => {} });
let open: InspectorServer;
let local: InspectorServer;

// Bound to every interface: reachable from other hosts, so every request needs the token.
beforeAll(async () => {
  open = await startInspectorServer({
    client: engine.client,
    storeLabel: "the test store",
    host: "0.0.0.0",
    port: 0,
  });
  local = await startInspectorServer({ client: engine.client, storeLabel: "the test store", port: 0 });
});

afterAll(async () => {
  await open.close();
  await local.close();
  await engine.close();
});

const at = (server: InspectorServer, path: string) => `http://127.0.0.1:${server.port}${path}`;
const post = { method: "POST", headers: { "content-type": "application/json" }, body: "{}" };

describe("the inspector's token on an address open to other hosts", () => {
  it("refuses the page, the API and actions without the token, with 401 and what to do", async () => {
    for (const [path, init] of [
      ["/", {}],
      ["/api/executions", {}],
      ["/api/executions/any/cancel", post],
    ] as const) {
      const response = await fetch(at(open, path), init);
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: string }).error).toContain(
        "needs its token: open the URL `stepline ui` printed",
      );
    }
    const wrong = await fetch(at(open, "/api/executions"), { headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: string }).error).toContain("wrong inspector token");
  });

  it("serves a request with the token in a header, and the printed URL sets a cookie that serves the rest", async () => {
    expect(open.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const bearer = await fetch(at(open, "/api/executions"), {
      headers: { authorization: `Bearer ${open.token}` },
    });
    expect(bearer.status).toBe(200);
    const header = await fetch(at(open, "/"), { headers: { "x-stepline-token": open.token as string } });
    expect(header.status).toBe(200);
    expect(open.openUrl).toBe(`${open.url}?token=${open.token}`);
    const visit = await fetch(at(open, `/?token=${open.token}`), { redirect: "manual" });
    expect(visit.status).toBe(303);
    expect(visit.headers.get("location")).toBe("/");
    const cookie = (visit.headers.get("set-cookie") ?? "").split(";")[0] as string;
    expect(visit.headers.get("set-cookie")).toContain("HttpOnly; SameSite=Strict");
    const withCookie = await fetch(at(open, "/api/executions"), { headers: { cookie } });
    expect(withCookie.status).toBe(200);
  });

  it("needs no token on loopback, where only this host can connect", async () => {
    expect(local.token).toBeUndefined();
    expect(local.openUrl).toBe(local.url);
    expect((await fetch(at(local, "/api/executions"))).status).toBe(200);
  });
});
