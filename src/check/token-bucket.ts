// moved to util (the report inbox uses it too); kept here so check imports stay as they were
export { TokenBuckets } from '../util/token-bucket.js'
