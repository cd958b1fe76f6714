import { appendFileSync } from "node:fs";

/**
 * Stand-ins for the services an order touches. Each call writes one line to the
 * side-effect log as it starts (the demo reads it to count how often each step body
 * really ran), then takes a little while, so the demo can kill a worker mid-run.
 */
export interface Order {
  id: string;
  items: string[];
  total: number;
  /** How long to cool off before shipping; the real workflow uses "1h". */
  coolOff?: string;
}

const effectsLog = process.env.STEPLINE_DEMO_EFFECTS;

async function effect<T>(name: string, orderId: string, ms: number, value: T): Promise<T> {
  if (effectsLog) appendFileSync(effectsLog, `${orderId} ${name}\n`);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return value;
}

const latency = () => 150 + Math.floor(Math.random() * 250);

export const inventory = {
  reserve: (order: Order) => effect("reserve", order.id, latency(), { holdId: `hold-${order.id}` }),
  release: (hold: { holdId: string }) => effect("release", hold.holdId.slice(5), latency(), true),
};

export const payments = {
  charge: (order: Order, options: { idempotencyKey: string }) =>
    effect("charge", order.id, latency(), { chargeId: `ch-${options.idempotencyKey}` }),
};

export const ship = (order: Order) => effect("label", order.id, latency(), `label-${order.id}`);
export const notify = (order: Order) => effect("email", order.id, latency(), `mail-${order.id}`);
