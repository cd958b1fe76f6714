export type { RedisServerClock } from "./redis-clock.js";
export { type RedisConnection, type RedisStore, type RedisStoreOptions, redisStore } from "./redis-store.js";
export type { RedisStoreLog, UnsafeConfigPolicy } from "./startup-checks.js";
export { UnsafeRedisConfigError, type UnsafeRedisSetting } from "./unsafe-redis-config-error.js";
