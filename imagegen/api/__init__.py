"""The relay: the image API's client, streamed answers, its errors in domain terms, and the way out to it."""
