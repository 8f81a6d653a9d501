"""Making a clip fit a message: re-encoded smaller with PyAV (which ships its own FFmpeg), down to a floor.

Video APIs answer clips of several megabytes; a server without boosts takes 10 MB a message. A clip over the limit
is re-encoded as H.264 at the bitrate that fits (its sound, if any, as 64 kb/s AAC), smaller and smaller, but never
below ``MIN_SIDE`` pixels on its shorter side: past that it is not worth watching, and it is kept instead.
"""

from __future__ import annotations

import io
import logging
from fractions import Fraction

import av
import av.error

log = logging.getLogger(__name__)

# The smallest a clip is made: its shorter side, in pixels.
MIN_SIDE = 240
# The sizes tried, as a share of the clip's own, largest first.
SCALES = (1.0, 0.75, 0.5, 0.35, 0.25)
AUDIO_BITRATE = 64_000
# What a container adds beyond its streams' bitrates, kept free under the limit.
HEADROOM = 0.85
# Encodings tried at each size, and the lowest video bitrate worth watching.
TRIES = 2
MIN_BITRATE = 50_000


def shrink(data: bytes, limit: int) -> bytes | None:
    """The clip in ``data`` re-encoded to fit under ``limit`` bytes, or None when even the floor does not (or it
    cannot be read)."""
    try:
        with av.open(io.BytesIO(data), mode="r") as source:
            stream = source.streams.video[0]
            width, height = stream.codec_context.width, stream.codec_context.height
            seconds = _seconds(source, stream)
    except (av.error.FFmpegError, IndexError, ValueError) as error:
        log.warning("a clip could not be read to make it smaller: %s", error)
        return None
    if not width or not height or not seconds:
        return None
    for scale in SCALES:
        size = (_even(width * scale), _even(height * scale))
        if scale < 1.0 and min(size) < MIN_SIDE:
            break
        bitrate = int(limit * 8 * HEADROOM / seconds) - AUDIO_BITRATE
        # An encoder overshoots its bitrate on busy pictures: a clip still too large is tried once more at the
        # bitrate its overshoot says, before it is made smaller.
        for _ in range(TRIES):
            if bitrate < MIN_BITRATE:
                return None
            try:
                made = _encode(data, size, bitrate)
            except (av.error.FFmpegError, ValueError) as error:
                log.warning("a clip could not be made smaller: %s", error)
                return None
            if len(made) < limit:
                return made
            bitrate = int(bitrate * limit * HEADROOM / len(made))
    return None


def _encode(data: bytes, size: tuple[int, int], bitrate: int) -> bytes:
    buffer = io.BytesIO()
    with av.open(io.BytesIO(data), mode="r") as source, av.open(buffer, mode="w", format="mp4") as target:
        video_in = source.streams.video[0]
        video_out = target.add_stream("libx264", rate=video_in.average_rate or Fraction(24))
        video_out.width, video_out.height = size
        video_out.pix_fmt = "yuv420p"
        video_out.bit_rate = bitrate
        video_out.options = {"preset": "veryfast", "maxrate": str(bitrate), "bufsize": str(bitrate * 2)}
        audio_in = source.streams.audio[0] if source.streams.audio else None
        audio_out = None
        if audio_in is not None:
            audio_out = target.add_stream("aac", rate=audio_in.rate or 48_000)
            audio_out.bit_rate = AUDIO_BITRATE
        streams = [video_in, *([audio_in] if audio_in is not None else [])]
        for packet in source.demux(*streams):
            for frame in packet.decode():
                if isinstance(frame, av.VideoFrame):
                    scaled = frame.reformat(width=size[0], height=size[1], format="yuv420p")
                    scaled.pts, scaled.time_base = frame.pts, frame.time_base
                    target.mux(video_out.encode(scaled))
                elif audio_out is not None and isinstance(frame, av.AudioFrame):
                    target.mux(audio_out.encode(frame))
        target.mux(video_out.encode(None))
        if audio_out is not None:
            target.mux(audio_out.encode(None))
    return buffer.getvalue()


def _seconds(source: av.container.InputContainer, stream: av.video.stream.VideoStream) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return (source.duration or 0) / av.time_base


def _even(side: float) -> int:
    # H.264 in 4:2:0 takes even sides only.
    return max(2, int(side) // 2 * 2)
