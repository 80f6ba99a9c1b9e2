/**
 * Demuxers FFmpeg may use on untrusted bytes. Playlist and reference formats (HLS, DASH,
 * concat, image2 sequences, ...) make FFmpeg open further files or URLs named inside the
 * input, a way to read local files or reach internal hosts; none of them is a video a hotline
 * assesses, so they are refused (`-format_whitelist`; `-protocol_whitelist` also allows only
 * the pipe or the loopback server).
 */
export const VIDEO_DEMUXERS = 'mov,matroska,webm,avi,flv,mpegts,mpeg,asf,ogg,gif,h264,hevc,m4v,mpegvideo,mjpeg,ivf,nut,rm,dv,yuv4mpegpipe'

/** Largest video accepted, in bytes (the check API's `check.maxVideoBytes` default). */
export const VIDEO_MAX_BYTES = 200 * 1024 * 1024

/** Longest video decoded, in seconds: 4 hours covers a feature film. */
export const VIDEO_MAX_SECONDS = 4 * 3600

/** Most frames hashed from one video (at secondsPerHash 0, ~55 minutes of 30 fps). */
export const VIDEO_MAX_FRAMES = 100_000

/** Largest frame decoded, in pixels (as for images: 4096×4096, 50 MB as RGB). */
export const VIDEO_MAX_FRAME_PIXELS = 4096 * 4096

/**
 * How long one video may take to decode and hash before FFmpeg is killed and the video
 * refused. A 200 MiB HD video at every-second hashing decodes in well under a minute on a
 * server core; 10 minutes stops only a hostile stream (or an hours-long one hashed per frame).
 */
export const VIDEO_DEADLINE_MS = 10 * 60_000

/** Most bytes of FFmpeg's stderr kept (the stream description we parse comes first). */
export const FFMPEG_STDERR_MAX = 64 * 1024

/** The reference's quality floor: frames below it are not compared. */
export const VPDQ_QUALITY_THRESHOLD = 50

/** PDQ distance at or below which two frames match (pytx `VPDQ_DISTANCE_THRESHOLD`). */
export const VPDQ_DISTANCE_THRESHOLD = 31

/** Share of the compared (stored) video's frames that must match (issue 16's `match.vpdqComparePct`). */
export const VPDQ_COMPARE_MATCH_PCT = 80

/** Share of the query video's frames that must match (issue 16's `match.vpdqQueryPct`). */
export const VPDQ_QUERY_MATCH_PCT = 0
