"""File transcription: uploads (OpenAI-compatible endpoint), recording jobs and the `callscribe-transcribe` CLI.

Pure cores: `files.decode` (PyAV decoding to 16 kHz legs), `files.upload` (bounded multipart reading),
`files.render` (json/text/srt/vtt/verbose_json), `files.pipeline` (segments -> redacted finals). Thin
shells: `files.service` (jobs on the shared scheduler), `files.http` (routes), `files.cli`.
"""
