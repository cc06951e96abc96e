export { ActivityLog } from './activity-log.ts';
export { activityLogApi, isActivityLogPath, ACTIVITY_API_VERSIONS, ACTIVITY_READ_ACTION, ACTIVITY_PAGE_SIZE } from './api.ts';
export { registerActivityRecorder } from './recorder.ts';
export { parseActivityFilter, ActivityFilterError } from './filter.ts';
export type { ActivityFilter } from './filter.ts';
export { armChange, graphChange, operationDisplayName } from './operations.ts';
export { activityEventJson } from './event-shape.ts';
export { ACTIVITY_KIND, DEFAULT_MAX_DAYS, DEFAULT_MAX_EVENTS } from './model.ts';
export type { ActivityRecord, RetentionOptions } from './model.ts';
