"""The OpenAI audio protocol, each fact once, shared by the client and the emulator.

Pure: no network, no engines; it reads only its own data files and the verified tokenizer vocabulary.

Modules:

* :mod:`~voicelab.protocol.formats` — audio formats and their rates;
* :mod:`~voicelab.protocol.voices` — voices per surface;
* :mod:`~voicelab.protocol.models` — the dated model catalogue (``models.toml``) and the shutdown warning;
* :mod:`~voicelab.protocol.session` — GA session defaults, normalisation, ``session.update``;
* :mod:`~voicelab.protocol.validate` — validation with the SDK's own models;
* :mod:`~voicelab.protocol.events` — server event constructors;
* :mod:`~voicelab.protocol.billing` — tokens per ms per role, text tokens, caching, the usage object;
* :mod:`~voicelab.protocol.tokenizer` — OpenAI's o200k_base text tokenizer (tiktoken, verified vocabulary);
* :mod:`~voicelab.protocol.errors` — OpenAI's error vocabulary.

Import the module you need; this package imports none of them.

Examples
--------
>>> from voicelab.protocol import voices
>>> "marin" in voices.REALTIME_VOICES
True
"""

__all__: list[str] = []
