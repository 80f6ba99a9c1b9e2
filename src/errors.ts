// Every error a user can meet carries a stable code (README "Error codes" lists them);
// messages may improve freely, callers and tests switch on `code`.
export const ErrorCodes = {
  /** bad command-line arguments or API request fields */
  INVALID_ARGUMENT: 'HF_INVALID_ARGUMENT',
  /** node config file missing or invalid */
  INVALID_CONFIG: 'HF_INVALID_CONFIG',
  /** federation file invalid (unknown field, bad peer ID, duplicate member or country) */
  INVALID_FEDERATION: 'HF_INVALID_FEDERATION',
  /** `init` on a folder that already holds a node */
  NODE_EXISTS: 'HF_NODE_EXISTS',
  /** `start` on a node folder whose node already runs (`details.pid`) */
  NODE_RUNNING: 'HF_NODE_RUNNING',
  /** no node folder at --dir */
  NODE_NOT_FOUND: 'HF_NODE_NOT_FOUND',
  /** identity key file unreadable or of the wrong type */
  INVALID_KEY: 'HF_INVALID_KEY',
  /** store written by another schema version */
  STORE_VERSION: 'HF_STORE_VERSION',
  /** store could not be opened (locked by a process we cannot reach, corrupt) */
  STORE_UNAVAILABLE: 'HF_STORE_UNAVAILABLE',
  /** a record in the store does not decode (damaged on disk or written by something else); `details.what` names it */
  STORE_CORRUPT: 'HF_STORE_CORRUPT',
  /** a hash value of the wrong length or alphabet for its algorithm */
  INVALID_HASH: 'HF_INVALID_HASH',
  /** an import file that is not the format it claims */
  INVALID_FORMAT: 'HF_INVALID_FORMAT',
  /** image bytes that are not a supported format (JPEG, PNG, GIF, WebP) or do not decode */
  INVALID_IMAGE: 'HF_INVALID_IMAGE',
  /** video bytes FFmpeg cannot open or decode, or a video outside the decode bounds (`details.reason`) */
  INVALID_VIDEO: 'HF_INVALID_VIDEO',
  /** no FFmpeg binary could be found or started (the npm-shipped one, or the configured path) */
  VIDEO_DECODER_UNAVAILABLE: 'HF_VIDEO_DECODER_UNAVAILABLE',
  /** a batch failed verification (see `reason`) */
  INVALID_BATCH: 'HF_INVALID_BATCH',
  /** a signed record failed verification */
  INVALID_SIGNATURE: 'HF_INVALID_SIGNATURE',
  /** a peer or origin that is not a federation member */
  NOT_A_MEMBER: 'HF_NOT_A_MEMBER',
  /** a protocol message that does not decode or breaks the protocol */
  PROTOCOL: 'HF_PROTOCOL',
  /** a message or request larger than allowed */
  TOO_LARGE: 'HF_TOO_LARGE',
  /** a URL report that cannot be accepted */
  INVALID_REPORT: 'HF_INVALID_REPORT',
  /** a country no member covers and no resolution worked */
  UNKNOWN_COUNTRY: 'HF_UNKNOWN_COUNTRY',
  /** a requested record does not exist */
  NOT_FOUND: 'HF_NOT_FOUND',
  /** missing, unknown or revoked token */
  UNAUTHORIZED: 'HF_UNAUTHORIZED',
  /** too many requests for this token */
  RATE_LIMITED: 'HF_RATE_LIMITED',
  /** a request body of a media type the route does not take; the message names the accepted types */
  UNSUPPORTED_MEDIA: 'HF_UNSUPPORTED_MEDIA',
  /** an id that names more than one record (a bank_content_id collision); the message says how to disambiguate */
  AMBIGUOUS: 'HF_AMBIGUOUS',
  /** the service cannot answer now (shutting down); retry on another node or later */
  UNAVAILABLE: 'HF_UNAVAILABLE',
  /** the running node could not be reached over its admin API */
  NODE_UNREACHABLE: 'HF_NODE_UNREACHABLE',
  /** operation not allowed on this node (e.g. publishing on a mirror) */
  FORBIDDEN: 'HF_FORBIDDEN',
  /** an admin API request addressed to a host name that is not the API's own (DNS rebinding) */
  WRONG_HOST: 'HF_WRONG_HOST',
  /** an admin API request a web page could have sent: a foreign `Origin`, or a state change as a simple request */
  CROSS_SITE: 'HF_CROSS_SITE',
  /** the node folder is readable or writable by other users (`start` refuses it) */
  INSECURE_PERMISSIONS: 'HF_INSECURE_PERMISSIONS',
  /** unexpected internal failure */
  INTERNAL: 'HF_INTERNAL'
} as const

export type ErrorCode = typeof ErrorCodes[keyof typeof ErrorCodes]

export class HashfedError extends Error {
  readonly code: ErrorCode
  /** extra machine-readable facts: field names, line numbers, reasons */
  readonly details?: Record<string, unknown>

  constructor (code: ErrorCode, message: string, options: { cause?: unknown, details?: Record<string, unknown> } = {}) {
    super(message, { cause: options.cause })
    this.name = 'HashfedError'
    this.code = code
    this.details = options.details
  }
}

export function hfError (code: ErrorCode, message: string, details?: Record<string, unknown>, cause?: unknown): HashfedError {
  return new HashfedError(code, message, { details, cause })
}

export function isHashfedError (err: unknown, code?: ErrorCode): err is HashfedError {
  return err instanceof HashfedError && (code === undefined || err.code === code)
}
