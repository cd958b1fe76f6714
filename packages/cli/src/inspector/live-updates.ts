import type { IncomingMessage, ServerResponse } from "node:http";
import { toJson } from "../format/json-value.js";

/** How often a live stream looks at the store for changes. */
export const LIVE_POLL_MS = 500;

/**
 * Streams a value as Server-Sent Events: reads it at once and every `pollMs`, and
 * sends it (`event: name`) whenever its change key differs from the last one sent.
 * A failed read is sent as an `error` event and the polling goes on; the stream
 * ends when the client goes away or `stop` aborts.
 *
 * @example
 * streamChanges(request, response, {
 *   event: "executions", read: () => listExecutions(filter), key: (list) => JSON.stringify(list),
 * });
 */
export function streamChanges<T>(
  request: IncomingMessage,
  response: ServerResponse,
  source: { event: string; read(): Promise<T>; key(value: T): string; pollMs?: number; stop: AbortSignal },
): void {
  response.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    connection: "keep-alive",
  });
  response.write(": stepline live updates\n\n");
  let lastKey: string | undefined;
  let reading = false;
  let quietTicks = 0;
  const tick = async () => {
    if (reading) return;
    reading = true;
    try {
      const value = await source.read();
      const key = source.key(value);
      if (key !== lastKey) {
        lastKey = key;
        quietTicks = 0;
        response.write(`event: ${source.event}\ndata: ${toJson(value)}\n\n`);
      } else if (++quietTicks % 30 === 0) {
        response.write(": still here\n\n");
      }
    } catch (error) {
      lastKey = undefined;
      response.write(`event: failure\ndata: ${JSON.stringify({ error: (error as Error).message })}\n\n`);
    } finally {
      reading = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), source.pollMs ?? LIVE_POLL_MS);
  const end = () => {
    clearInterval(timer);
    response.end();
  };
  request.on("close", end);
  source.stop.addEventListener("abort", end, { once: true });
}
