"""Speech recognition: the engine interface, the CTranslate2 Whisper engine, the cross-call scheduler
and partial stabilisation."""
