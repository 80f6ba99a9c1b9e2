// Preloaded into a child process (`node --import <this file> ...`): at exit it writes the
// process's peak resident set size to stderr as `HASHFED_MAX_RSS_KIB=<n>`, which
// `maxRssOf` reads back. Measures the whole real process, not a sample.
import { writeSync } from 'node:fs'

process.once('exit', () => {
  writeSync(2, `\nHASHFED_MAX_RSS_KIB=${process.resourceUsage().maxRSS}\n`)
})
