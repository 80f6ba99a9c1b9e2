import type { ZodError } from 'zod'

/** One line per problem: `file: field.path: message`. */
export function describeIssues (file: string, err: ZodError): string {
  return err.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(top level)'
    let msg = issue.message
    if (issue.code === 'unrecognized_keys') {
      msg = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map(k => `"${k}"`).join(', ')}: remove ${issue.keys.length > 1 ? 'them' : 'it'} or check the spelling`
    }
    return `${file}: ${path}: ${msg}`
  }).join('\n')
}
