import { pb, type hashfed } from '../proto/index.js'
import { hfError, ErrorCodes } from '../errors.js'
import { CLASSIFICATIONS, type ClassificationName } from '../log/entry.js'
import { algorithmFromEnum, algorithmToEnum, formatHashValue, parseHashRef } from '../log/hash-value.js'
import { checkHashCount, checkNote, invalidReport } from './report-validation.js'

/** A report's media: an image, a video, or a whole site. */
export const REPORT_MEDIA = ['image', 'video', 'site'] as const
export type ReportMedia = typeof REPORT_MEDIA[number]

/**
 * What an analyst submits. There is deliberately no field for who reported the URL to the
 * hotline: `parseSubmitInput` refuses any field not listed here.
 */
export interface SubmitInput {
  url: string
  ip?: string
  country?: string
  hoster?: string
  asn?: number
  classification?: ClassificationName
  media?: ReportMedia
  /** `ALG:VALUE`, e.g. `sha256:…` */
  hashes?: string[]
  note?: string
}

export const SUBMIT_FIELDS: ReadonlyArray<keyof SubmitInput> = ['url', 'ip', 'country', 'hoster', 'asn', 'classification', 'media', 'hashes', 'note']

/** The parts of a UrlReport that the country resolver does not decide. */
export interface ReportDetails {
  classification: number
  media: number
  hashes: hashfed.v1.HashRef.$Properties[]
  note: string
}

const CLASSIFICATION_TO_ENUM: Record<ClassificationName, number> = {
  baseline: pb.Classification.BASELINE,
  national: pb.Classification.NATIONAL,
  'not-illegal': pb.Classification.NOT_ILLEGAL
}
const MEDIA_TO_ENUM: Record<ReportMedia, number> = { image: pb.MediaType.IMAGE, video: pb.MediaType.VIDEO, site: pb.MediaType.SITE }

/** Refuses unknown fields (a `reporter` or `email` above all) before anything else is looked at. */
export function checkSubmitFields (input: object): void {
  for (const key of Object.keys(input)) {
    if (!(SUBMIT_FIELDS as readonly string[]).includes(key)) {
      throw hfError(ErrorCodes.INVALID_ARGUMENT,
        `unknown field "${key}": a report has only ${SUBMIT_FIELDS.join(', ')} (hashfed keeps no reporter identity)`, { field: key })
    }
  }
}

export function parseReportDetails (input: SubmitInput): ReportDetails {
  let classification = pb.Classification.CLASSIFICATION_UNSPECIFIED
  if (input.classification !== undefined) {
    if (!(CLASSIFICATIONS as readonly string[]).includes(input.classification)) throw invalidReport('classification', `"${String(input.classification)}" is not one of ${CLASSIFICATIONS.join(', ')}`)
    classification = CLASSIFICATION_TO_ENUM[input.classification]
  }
  let media = pb.MediaType.MEDIA_UNSPECIFIED
  if (input.media !== undefined) {
    if (!(REPORT_MEDIA as readonly string[]).includes(input.media)) throw invalidReport('media', `"${String(input.media)}" is not one of ${REPORT_MEDIA.join(', ')}`)
    media = MEDIA_TO_ENUM[input.media]
  }
  const hashes = input.hashes ?? []
  if (!Array.isArray(hashes)) throw invalidReport('hashes', 'a list of ALG:VALUE hashes')
  checkHashCount(hashes.length)
  const refs = hashes.map(text => {
    const { algorithm, value } = parseHashRef(String(text))
    return { algorithm: algorithmToEnum(algorithm), value }
  })
  return { classification, media, hashes: refs, note: checkNote(input.note ?? '') }
}

export function classificationName (value: number): ClassificationName | null {
  return (Object.entries(CLASSIFICATION_TO_ENUM).find(([, v]) => v === value)?.[0] as ClassificationName | undefined) ?? null
}

export function mediaName (value: number): ReportMedia | null {
  return (Object.entries(MEDIA_TO_ENUM).find(([, v]) => v === value)?.[0] as ReportMedia | undefined) ?? null
}

/** `alg:hex` of a hash reference; `?:hex` for an algorithm this version does not know. */
export function hashRefText (ref: hashfed.v1.HashRef.$Properties): string {
  let alg = '?'
  try { alg = algorithmFromEnum(ref.algorithm ?? 0) } catch {}
  return `${alg}:${formatHashValue(ref.value ?? new Uint8Array())}`
}
