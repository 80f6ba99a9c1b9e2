import { hfError, ErrorCodes } from '../errors.js'

const names = new Intl.DisplayNames(['en'], { type: 'region' })
// Codes ICU names but ISO 3166-1 only reserves: they are not countries a hotline covers.
const RESERVED: Record<string, string> = { UK: 'GB', EU: '', EZ: '', UN: '', ZZ: '', QO: '', XK: '' }

/** ISO 3166-1 alpha-2 code, upper case, or null. */
export function normaliseCountry (text: string): string | null {
  const code = text.trim().toUpperCase()
  if (!/^[A-Z]{2}$/.test(code) || code in RESERVED) return null
  return names.of(code) !== code ? code : null
}

export function parseCountry (text: string, field = 'country'): string {
  const code = normaliseCountry(text)
  if (code === null) {
    const hint = RESERVED[text.trim().toUpperCase()]
    throw hfError(ErrorCodes.INVALID_ARGUMENT,
      `${field}: "${text}" is not an ISO 3166-1 alpha-2 country code${hint !== undefined && hint !== '' ? ` (use ${hint})` : ''}`,
      { field })
  }
  return code
}

export function countryName (code: string): string {
  return names.of(code) ?? code
}
