import type { Client, JournalEvent } from "@stepline/core";

/**
 * Resolves once the execution's journal has an event of `type` (for example
 * `EventWaitStarted`: the sign-up is waiting for the verification link), so a caller can
 * cancel or send an event at that point of the workflow, not before it.
 *
 * @example
 * await untilJournaled(engine.client, "ada", "EventWaitStarted");
 * await engine.client.cancel("ada", { reason: "user withdrew" });
 */
export async function untilJournaled(
  client: Client,
  id: string,
  type: JournalEvent["type"],
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await client.history(id).catch(() => [])).some((event) => event.type === type)) {
    if (Date.now() > deadline) throw new Error(`${id}: no ${type} in its journal after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
