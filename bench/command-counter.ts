import { Redis } from "ioredis";

let sent = 0;
let installed = false;

/**
 * Counts the commands this process sends to Redis (every command ioredis writes to a
 * socket, pipelined or not; not the calls a Lua script makes inside the server).
 */
export function countRedisCommands(): () => number {
  if (!installed) {
    installed = true;
    const original = Redis.prototype.sendCommand;
    Redis.prototype.sendCommand = function (this: Redis, ...args: Parameters<Redis["sendCommand"]>) {
      sent++;
      return original.apply(this, args);
    };
  }
  return () => sent;
}
