"""Post-call insights: summary, reason, outcome, agreements, contact details and sentiment (words only).

- :func:`insights.core.analyse` is the pure core: a :class:`CallTranscript` in, :class:`Insights` out.
- :class:`insights.worker.InsightsWorker` is the shell: `call_closed(transcript)` analyses off the event
  loop (one thread), stores the result encrypted under the call's purposes, and queues the CRM webhook
  in a persisted outbox; `call_erased(tenant, call_id)` forwards an erasure notice.
- :mod:`insights.http` serves `GET /v1/calls/{call_id}/insights?purpose=...`.
- :mod:`insights.settings` has the command-line options and the lifespan `attach` / `detach`.
- :mod:`insights.fake`: `FakeCrm`, a CRM receiver you can run (verifies signatures, applies each
  Idempotency-Key once), and `FakeChat`, an OpenAI-compatible chat endpoint (optional abstractive summary).

See docs/insights.md.
"""

from insights.model import CallTranscript, Insights, InsightsError, Utterance

__all__ = ["CallTranscript", "Insights", "InsightsError", "Utterance"]
