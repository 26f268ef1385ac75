# e2echeck as a container image: `docker run` with the config mounted at /config.
#   docker build -t e2echeck .
#   docker build --build-arg EXTRAS=aws,metrics,grpc -t e2echeck .   # with grpc:// checks
#   docker run --rm -v "$PWD/checks.yaml:/config/checks.yaml:ro" \
#     -e PAGERDUTY_ROUTING_KEY e2echeck
# Pin the base by digest (python:3.12-slim@sha256:...) for reproducible builds.

FROM python:3.12-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src
RUN python -m venv /opt/e2echeck
COPY pyproject.toml README.md ./
COPY requirements/ci.txt ./requirements/ci.txt
COPY e2echeck ./e2echeck
# The project with the aws extra (${ssm:...} and ${secretsmanager:...} references, s3://
# config and state) and the metrics extra (run --metrics), at the lock's versions; no
# test tools. grpc:// checks need the grpc extra (grpcio, tens of MB): EXTRAS adds it.
ARG EXTRAS=aws,metrics
RUN /opt/e2echeck/bin/pip install --no-cache-dir -c requirements/ci.txt ".[${EXTRAS}]" \
    && /opt/e2echeck/bin/pip uninstall --yes pip setuptools wheel


FROM python:3.12-slim

LABEL org.opencontainers.image.title="e2echeck" \
      org.opencontainers.image.description="End-to-end checks of public endpoints that page PagerDuty" \
      org.opencontainers.image.licenses="MIT"

ENV PATH="/opt/e2echeck/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    E2ECHECK_CONFIG=/config/checks.yaml

RUN groupadd --system --gid 10001 e2echeck \
    && useradd --system --uid 10001 --gid e2echeck --no-create-home \
       --home-dir /var/lib/e2echeck --shell /usr/sbin/nologin e2echeck \
    && install -d -o e2echeck -g e2echeck -m 0750 /var/lib/e2echeck

COPY --from=build /opt/e2echeck /opt/e2echeck

# A relative state path (the default .e2echeck/state.json) lands here: mount a
# volume on /var/lib/e2echeck to keep it between runs.
WORKDIR /var/lib/e2echeck
USER 10001:10001

ENTRYPOINT ["e2echeck"]
CMD ["run", "/config/checks.yaml"]
