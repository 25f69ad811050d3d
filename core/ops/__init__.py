"""Operations: structured logs with request ids, Prometheus metrics, readiness checks."""
