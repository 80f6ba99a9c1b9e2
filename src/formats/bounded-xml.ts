import type { SaxesParser } from 'saxes'
import { MAX_BUFFERED_CHARS, MAX_XML_ATTRIBUTES, PARSE_PIECE } from './constants.js'

/**
 * What saxes (6.x) gathers while it reads one construct, before it emits it: a text node,
 * comment, CDATA section, attribute value, DOCTYPE or processing instruction goes to `text`;
 * element and attribute names to `name`; an entity reference to `entity`; a PI target to
 * `piTarget`; the attributes of the open tag to `attribList`. saxes has no option to cap them,
 * so we feed it in pieces and look at them after each piece.
 */
interface SaxesBuffers {
  text: string
  name: string
  entity: string
  piTarget: string
  attribList: unknown[]
}

function buffersOf (parser: SaxesParser): SaxesBuffers {
  const b = parser as unknown as SaxesBuffers
  // a saxes release that renamed these would silently lose the cap: fail loudly instead
  if (typeof b.text !== 'string' || typeof b.name !== 'string' || typeof b.entity !== 'string' || typeof b.piTarget !== 'string' || !Array.isArray(b.attribList)) {
    throw new Error('saxes internals changed: bounded-xml.ts cannot check the parser\'s buffers')
  }
  return b
}

/**
 * Writes `chunk` to `parser` in pieces of PARSE_PIECE characters and returns, after the first
 * piece that leaves a buffer over its cap, what is too large (for the caller's error), else
 * undefined. The parser then holds at most a cap plus one piece.
 */
export function writeBounded (parser: SaxesParser, chunk: string): string | undefined {
  const b = buffersOf(parser)
  for (let at = 0; at < chunk.length; at += PARSE_PIECE) {
    parser.write(chunk.length <= PARSE_PIECE ? chunk : chunk.slice(at, at + PARSE_PIECE))
    if (b.text.length > MAX_BUFFERED_CHARS) return `a text node, comment, CDATA section or attribute value longer than ${MAX_BUFFERED_CHARS} characters`
    if (b.name.length > MAX_BUFFERED_CHARS || b.entity.length > MAX_BUFFERED_CHARS || b.piTarget.length > MAX_BUFFERED_CHARS) {
      return `a name longer than ${MAX_BUFFERED_CHARS} characters`
    }
    if (b.attribList.length > MAX_XML_ATTRIBUTES) return `an element with more than ${MAX_XML_ATTRIBUTES} attributes`
  }
  return undefined
}
