"""A held-out capture simulator, for evaluation only.

It shares no code and no data with the training chain (``dataset_builder``'s capture, transforms,
backgrounds and procedural music): other libraries (Spotify's ``pedalboard`` for filters, dynamics, reverb,
GSM and MP3; the FFmpeg command line for Opus and AAC; espeak-ng for babble), other parameter ranges and
backgrounds of its own. A model that learned invariance to what lies between a loudspeaker and a phone
does well here; one that learned the training simulator does not.

One module per part (:mod:`.loudspeaker`, :mod:`.microphone`, :mod:`.room`, :mod:`.dynamics`,
:mod:`.codecs`, :mod:`.noise`, :mod:`.babble`, :mod:`.chiptune`, :mod:`.backgrounds`, :mod:`.placement`);
:mod:`.simulator` chains them, :mod:`.cries` reads reference cries. Every part checks its ranges in
``__init__``, draws its parameters (``draw(rng)``) apart from applying them (``apply(samples, params)``),
so one seed gives the same capture on any machine.
"""
