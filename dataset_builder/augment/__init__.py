"""Augmentations, one transform per module, audiomentations-style (see :mod:`.base` for the protocol).

The original project's families: :class:`TimeStretch`, :class:`PitchShift`, a :class:`OneOf`
:class:`HighPassFilter` / :class:`LowPassFilter`, :class:`AddBackground`. The capture chain of the real
use, in the order :class:`dataset_builder.variants.VariantMaker` applies it: :class:`PlaceInRecording`
→ background → :class:`Loudspeaker` (or, when the build has measured responses, :class:`MeasuredLoudspeaker`) → :class:`Equalizer` → :class:`RoomReverb` → :class:`Microphone` →
:class:`Gain` → :class:`Clipping` → :class:`Compressor` → :class:`AutomaticGainControl` → :class:`Codec`.
"""

from .add_background import AddBackground
from .agc import AutomaticGainControl
from .base import Transform, check_range, draw
from .clipping import Clipping
from .codec import CODEC_FORMATS, PHONE_BAND_CODECS, Codec, encode_decode, g711_round_trip
from .compressor import Compressor
from .equalizer import Equalizer
from .gain import Gain
from .high_pass_filter import HighPassFilter
from .loudspeaker import Loudspeaker
from .low_pass_filter import LowPassFilter
from .measured_loudspeaker import MeasuredLoudspeaker
from .microphone import Microphone
from .one_of import OneOf
from .pitch_shift import PitchShift
from .place_in_recording import PlaceInRecording
from .room_reverb import RoomReverb
from .time_stretch import TimeStretch

__all__ = [
    "CODEC_FORMATS",
    "PHONE_BAND_CODECS",
    "AddBackground",
    "AutomaticGainControl",
    "Clipping",
    "Codec",
    "Compressor",
    "Equalizer",
    "Gain",
    "HighPassFilter",
    "Loudspeaker",
    "LowPassFilter",
    "MeasuredLoudspeaker",
    "Microphone",
    "OneOf",
    "PitchShift",
    "PlaceInRecording",
    "RoomReverb",
    "TimeStretch",
    "Transform",
    "check_range",
    "draw",
    "encode_decode",
    "g711_round_trip",
]
