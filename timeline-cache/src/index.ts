export * from './port.ts';
export { createRedisTimelineCache, type RedisTimelineCacheOptions } from './redis-timeline-cache.ts';
export { createSqlTimelineCache, type SqlTimelineCache, type SqlTimelineCacheOptions } from './sql-timeline-cache.ts';
