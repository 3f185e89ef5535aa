"""Short MP3s made here (LAME through lameenc), never downloaded: test media and the sample episode.

`python -m tests.support.audio content/media/episode-12.mp3` writes the sample site's episode.
"""

from __future__ import annotations

import math
import sys
from array import array
from pathlib import Path

RATE = 22050  # samples a second: plenty for a spoken-word podcast, and small
# The sample episode: a rising then falling chime (frequencies in Hz, seconds each).
CHIME = (
    (523.25, 0.5),
    (659.25, 0.5),
    (783.99, 0.5),
    (1046.5, 1.0),
    (783.99, 0.5),
    (659.25, 0.5),
    (523.25, 1.5),
)


def tones(notes: tuple[tuple[float, float], ...], rate: int = RATE) -> bytes:
    """16-bit mono PCM of sine notes, each fading in and out so nothing clicks."""
    samples = array("h")
    for frequency, seconds in notes:
        count = int(seconds * rate)
        # A whole number of cycles a second repeats every second: long test tones are built from one.
        period = rate if frequency == int(frequency) else count
        wave = array("h", (int(12000 * math.sin(2 * math.pi * frequency * n / rate)) for n in range(period)))
        note = wave * (count // period + 1)
        del note[count:]
        fade_in, fade_out = int(0.02 * rate), int(0.05 * rate)
        for n in range(min(fade_in, count)):
            note[n] = int(note[n] * n / fade_in)
        for n in range(min(fade_out, count)):
            note[count - 1 - n] = int(note[count - 1 - n] * n / fade_out)
        samples.extend(note)
    return samples.tobytes()


def mp3(pcm: bytes, rate: int = RATE, kbps: int = 32) -> bytes:
    """Constant-bit-rate MP3 of 16-bit mono PCM."""
    import lameenc

    encoder = lameenc.Encoder()
    encoder.set_bit_rate(kbps)
    encoder.set_in_sample_rate(rate)
    encoder.set_channels(1)
    encoder.set_quality(2)
    return bytes(encoder.encode(pcm) + encoder.flush())


def tone_mp3(seconds: float, frequency: float = 440.0) -> bytes:
    return mp3(tones(((frequency, seconds),)))


def sample_episode() -> bytes:
    """The sample site's episode: a five-second chime."""
    return mp3(tones(CHIME))


SAMPLE_SECONDS = sum(seconds for _, seconds in CHIME)


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "content/media/episode-12.mp3")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(sample_episode())
    print(f"{target}: {target.stat().st_size} bytes, {SAMPLE_SECONDS} s")
