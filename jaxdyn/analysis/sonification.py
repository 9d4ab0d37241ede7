"""Parameter-mapping sonification in Javanese gamelan scales (paper 11): pitches, loudness,
synthesis, WAV and MIDI bytes.

A series is mapped note by note: its value picks a degree of a slendro or pelog scale
(linearly over a range spanning ``octaves`` octaves), a second variable sets the note's
loudness, and each note is a struck-metallophone tone. Paper 11 maps the Niño-3.4 index
this way (parameter-mapping sonification, Hermann, Hunt & Neuhoff, "The Sonification
Handbook", Logos 2011, ch. 15).

Tunings (cents above the scale's first tone, within one octave)
---------------------------------------------------------------
Javanese gamelan have no standard tuning: every ensemble is tuned on its own (its
*embat*), as the measurements of Surjodiningrat, Sudarjana & Susanto ("Tone
measurements of outstanding Javanese gamelans in Jogjakarta and Surakarta", Gadjah Mada
University Press, 1972) document; see also Sethares, "Tuning, Timbre, Spectrum, Scale"
(2nd ed., Springer 2005), ch. 9-10, on the gamelan scales and their timbres. We therefore
use the two standard idealisations, and say so:

* slendro: five nearly equal steps, idealised as 5-tone equal temperament,
  0, 240, 480, 720, 960 cents;
* pelog: seven unequal steps, idealised as seven of the nine tones of 9-tone equal
  temperament with the step pattern 1-1-2-1-1-1-2 (steps of 133⅓ and 266⅔ cents):
  0, 133.33, 266.67, 533.33, 666.67, 800, 933.33 cents.

Any other tuning (a measured ensemble) can be passed as a tuple of cents.

Timbre: a free-free bar's partials lie at 1 : 2.756 : 5.404 of its fundamental (Euler-
Bernoulli beam; Fletcher & Rossing, "The Physics of Musical Instruments", Springer 1998,
§2.15); the higher partials decay faster.
"""

from __future__ import annotations

import io
import struct
import wave

import numpy as np
from jaxtyping import ArrayLike

#: tunings in cents within one octave, with their sources (module docstring)
SCALES: dict[str, tuple[float, ...]] = {
    "slendro": (0.0, 240.0, 480.0, 720.0, 960.0),
    "pelog": (0.0, 400 / 3, 800 / 3, 1600 / 3, 2000 / 3, 800.0, 2800 / 3),
}
SCALE_SOURCES = {
    "slendro": "idealised 5-tone equal temperament (Sethares 2005, ch. 9-10)",
    "pelog": "idealised 7-of-9-tone equal temperament, steps 1-1-2-1-1-1-2 ninths of an octave",
}
#: partial frequency ratios and relative amplitudes of a free-free bar (Fletcher & Rossing)
BAR_PARTIALS = ((1.0, 1.0), (2.756, 0.35), (5.404, 0.12))


def _cents(scale: str | tuple[float, ...]) -> np.ndarray:
    if isinstance(scale, str):
        if scale not in SCALES:
            raise ValueError(
                f"scale must be one of {sorted(SCALES)} or a tuple of cents, got {scale!r}"
            )
        return np.asarray(SCALES[scale])
    c = np.asarray(scale, dtype=float)
    if c.ndim != 1 or c.size < 2 or np.any(np.diff(c) <= 0) or c[0] < 0 or c[-1] >= 1200:
        raise ValueError("scale must be increasing cents in [0, 1200) with at least two tones")
    return c


def scale_cents(scale: str | tuple[float, ...], octaves: int = 2) -> np.ndarray:
    """Cents of every degree over ``octaves`` octaves, plus the top octave's first tone."""
    if not (isinstance(octaves, int | np.integer) and octaves >= 1):
        raise ValueError(f"octaves must be an integer >= 1, got {octaves!r}")
    c = _cents(scale)
    return np.concatenate([c + 1200 * k for k in range(octaves)] + [np.asarray([1200.0 * octaves])])


def map_to_scale(
    x: ArrayLike,
    scale: str | tuple[float, ...] = "slendro",
    *,
    octaves: int = 2,
    low: float | None = None,
    high: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Degree index and cents of each value: [low, high] mapped linearly onto the degrees.

    Values outside [low, high] (default: the series' range) are clipped. Returns
    ``(degrees, cents)`` with ``cents = scale_cents(scale, octaves)[degrees]``.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or x.size == 0 or not np.all(np.isfinite(x)):
        raise ValueError("x must be a non-empty finite 1-D series")
    grid = scale_cents(scale, octaves)
    lo = float(np.min(x)) if low is None else float(low)
    hi = float(np.max(x)) if high is None else float(high)
    if not hi > lo:
        raise ValueError(f"high must exceed low, got low={lo}, high={hi}")
    u = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    degrees = np.rint(u * (grid.size - 1)).astype(int)
    return degrees, grid[degrees]


def map_to_loudness(
    v: ArrayLike, quietest: float = 0.25, loudest: float = 1.0, *, low=None, high=None
) -> np.ndarray:
    """Amplitudes in [quietest, loudest], linear in ``v`` over [low, high] (default its range)."""
    v = np.asarray(v, dtype=float)
    if not 0 <= quietest < loudest <= 1:
        raise ValueError("need 0 <= quietest < loudest <= 1")
    lo = float(np.min(v)) if low is None else float(low)
    hi = float(np.max(v)) if high is None else float(high)
    u = np.clip((v - lo) / (hi - lo), 0.0, 1.0) if hi > lo else np.full(v.shape, 0.5)
    return quietest + (loudest - quietest) * u


def cents_to_hz(cents: ArrayLike, base_hz: float = 220.0) -> np.ndarray:
    """f = base · 2^(cents/1200)."""
    return base_hz * 2.0 ** (np.asarray(cents, dtype=float) / 1200.0)


def synthesize(
    freqs: ArrayLike,
    amps: ArrayLike,
    note_duration: float = 0.15,
    *,
    sample_rate: int = 22050,
    decay: float = 0.35,
    partials: tuple[tuple[float, float], ...] = BAR_PARTIALS,
) -> np.ndarray:
    """Struck-bar notes, one per (frequency, amplitude), each ``note_duration`` seconds.

    Each partial (ratio r, weight a) decays as exp(-t r / decay); a 3 ms linear attack
    and a release over the note's last 10 % avoid clicks. Returns float samples in
    [-1, 1], length ``n_notes * round(note_duration * sample_rate)``.
    """
    freqs = np.asarray(freqs, dtype=float)
    amps = np.asarray(amps, dtype=float)
    if freqs.shape != amps.shape or freqs.ndim != 1:
        raise ValueError("freqs and amps must be 1-D arrays of one length")
    if not (note_duration > 0 and sample_rate >= 8000):
        raise ValueError("note_duration must be > 0 and sample_rate >= 8000")
    n = int(round(note_duration * sample_rate))
    t = np.arange(n) / sample_rate
    env = np.minimum(1.0, t / 0.003) * np.minimum(1.0, (n - np.arange(n)) / max(1, n // 10))
    notes = np.zeros((freqs.size, n))
    for ratio, weight in partials:
        f = freqs[:, None] * ratio
        ok = f < 0.45 * sample_rate  # no partial above Nyquist
        notes += ok * weight * np.exp(-t[None] * ratio / decay) * np.sin(2 * np.pi * f * t[None])
    notes *= amps[:, None] * env[None]
    out = notes.ravel()
    peak = np.max(np.abs(out)) if out.size else 0.0
    return out / peak * 0.9 if peak > 0 else out


def wav_bytes(samples: ArrayLike, sample_rate: int = 22050) -> bytes:
    """A mono 16-bit PCM WAV file of ``samples`` (floats in [-1, 1]) as bytes."""
    s = np.clip(np.asarray(samples, dtype=float), -1.0, 1.0)
    pcm = (s * 32767).astype("<i2").tobytes()
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(int(sample_rate))
        w.writeframes(pcm)
    return buf.getvalue()


def _varlen(n: int) -> bytes:
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def midi_bytes(
    cents: ArrayLike,
    amps: ArrayLike,
    note_duration: float = 0.15,
    *,
    base_note: int = 57,
    program: int = 13,
) -> bytes:
    """A type-0 standard MIDI file: one note per value, microtones by pitch bend.

    Each note is the nearest equal-tempered key to ``base_note`` (57 = A3, 220 Hz) +
    cents/100, bent by the remainder (bend range ±2 semitones, the General MIDI default);
    velocity from ``amps``. 480 ticks per quarter at 120 bpm; program 13 is General MIDI's
    xylophone (counting from 0), a struck bar like the gamelan's saron.
    """
    cents = np.asarray(cents, dtype=float)
    amps = np.asarray(amps, dtype=float)
    if cents.shape != amps.shape or cents.ndim != 1:
        raise ValueError("cents and amps must be 1-D arrays of one length")
    tpq, tempo = 480, 500_000
    ticks = max(1, int(round(note_duration * 1e6 / tempo * tpq)))
    ev = bytearray()
    ev += b"\x00\xff\x51\x03" + tempo.to_bytes(3, "big")
    ev += bytes([0x00, 0xC0, program & 0x7F])
    for c, a in zip(cents, amps, strict=True):
        semis = c / 100.0
        key = int(np.clip(base_note + np.rint(semis), 0, 127))
        bend = int(np.clip(8192 + (base_note + semis - key) / 2.0 * 8192, 0, 16383))
        vel = int(np.clip(round(a * 127), 1, 127))
        ev += bytes([0x00, 0xE0, bend & 0x7F, bend >> 7])
        ev += bytes([0x00, 0x90, key, vel])
        ev += _varlen(ticks) + bytes([0x80, key, 0])
    ev += b"\x00\xff\x2f\x00"
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, tpq)
    return header + b"MTrk" + struct.pack(">I", len(ev)) + bytes(ev)


def sonify(
    x: ArrayLike,
    loudness: ArrayLike,
    scale: str | tuple[float, ...] = "slendro",
    *,
    octaves: int = 2,
    base_hz: float = 220.0,
    note_duration: float = 0.15,
    sample_rate: int = 22050,
) -> dict[str, np.ndarray | bytes]:
    """The whole mapping: pitches from ``x`` on ``scale``, loudness from ``loudness``.

    Returns ``{"degrees", "cents", "freqs", "amps", "samples", "wav", "midi"}``.
    """
    degrees, cents = map_to_scale(x, scale, octaves=octaves)
    amps = map_to_loudness(loudness)
    if amps.shape != cents.shape:
        raise ValueError(f"loudness must have the shape of x, {cents.shape}, got {amps.shape}")
    freqs = cents_to_hz(cents, base_hz)
    samples = synthesize(freqs, amps, note_duration, sample_rate=sample_rate)
    base_note = int(round(69 + 12 * np.log2(base_hz / 440.0)))
    offset = 1200 * np.log2(base_hz / 440.0) - 100 * (base_note - 69)
    return {
        "degrees": degrees,
        "cents": cents,
        "freqs": freqs,
        "amps": amps,
        "samples": samples,
        "wav": wav_bytes(samples, sample_rate),
        "midi": midi_bytes(cents + offset, amps, note_duration, base_note=base_note),
    }


__all__ = [
    "BAR_PARTIALS",
    "SCALES",
    "SCALE_SOURCES",
    "cents_to_hz",
    "map_to_loudness",
    "map_to_scale",
    "midi_bytes",
    "scale_cents",
    "sonify",
    "synthesize",
    "wav_bytes",
]
