export type { RedisServerClock } from "./redis-clock.js";
export { type RedisConnection, type RedisStore, type RedisStoreOptions, redisStore } from "./redis-store.js";
