/** Header that makes a request one a web page cannot send without a CORS preflight, which the admin API never grants. */
export const REQUEST_HEADER = 'x-hashfed-request'

/**
 * Content types the admin API parses (JSON bodies, uploaded hash lists). Neither is
 * CORS-safelisted, so a browser sends neither cross-site without a preflight; a state
 * change with any other type (text/plain, a form, none) needs REQUEST_HEADER.
 */
export const NON_SIMPLE_TYPES: readonly string[] = ['application/json', 'application/octet-stream']

/** Hash-list uploads are spooled to the node folder, not held in memory: this caps the disk they take. Large national lists are a few hundred MB. */
export const MAX_IMPORT_BYTES = 2 * 1024 * 1024 * 1024
