/** GET routes outside the operation table (/metrics) with no query parameters: an unknown one is refused. */
export const noQuerySchema = { type: 'object', additionalProperties: false, properties: {} } as const
