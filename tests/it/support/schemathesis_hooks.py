"""Schemathesis hooks for logsift's API (loaded through SCHEMATHESIS_HOOKS by
tests/it/api_schemathesis.rs).

`POST /v1/classify/_bulk` takes and gives NDJSON (`application/x-ndjson`), which schemathesis
has no built-in codec for. Its body is described as a string, so it goes on the wire as text;
an answer is checked line by line (each must be one JSON value) and then validated as the
string the spec describes.
"""

import json

import schemathesis

schemathesis.serializer.alias("application/x-ndjson", "text/plain")


@schemathesis.deserializer("application/x-ndjson")
def ndjson(ctx, response):
    text = response.content.decode("utf-8")
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                json.loads(line)
            except ValueError as e:
                raise ValueError(f"NDJSON answer line {n} is not JSON: {e}: {line[:200]!r}") from e
    return text
