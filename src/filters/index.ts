/** Filters (`spec.filters`) and the normalized payload view, for the ingress and resource schemas. */
export { applyFilters, jsonEqual, type FilterSubject, type FilterVerdict } from './apply-filters';
export { filterSpec, filtersSpec, invalidPathReason, MAX_FILTERS, type FilterSpec } from './filter-spec';
export { normalizePayload, type NormalizedPayload } from './normalize-payload';
export { MAX_MATCH_INPUT_LENGTH, MAX_PATTERN_LENGTH, REGEX_SAFETY_RULE, unsafeRegexReason } from './regex-safety';
