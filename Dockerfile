# syntax=docker/dockerfile:1
# The OME-Zarr validator: by default the service (uvicorn api.app:app on port 8000, jobs and
# reports in an SQLite file in the volume /data; settings: OME_ZARR_VALIDATOR_* environment
# variables); given a command, the command line.
#
#   docker build -t ome-zarr-validator .
#   docker run -p 8000:8000 -v ome-zarr-validator:/data ome-zarr-validator
#   docker run --rm ome-zarr-validator ome-zarr-validate https://example.org/plate.ome.zarr
#   docker run --rm -v "$PWD/data:/in:ro" ome-zarr-validator ome-zarr-validate /in/plate.ome.zarr

FROM python:3.12-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
# Only what the package is built from (no .venv, no test data).
COPY pyproject.toml README.md ./
COPY validator ./validator
COPY api ./api
COPY schemas ./schemas
# s3 and gcs extras: s3:// and gs:// URLs are validated too.
RUN pip wheel --wheel-dir /wheels ".[s3,gcs]"

FROM python:3.12-slim
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OME_ZARR_VALIDATOR_DATABASE=/data/ome-zarr-validator.sqlite3
COPY --from=build /wheels /wheels
RUN pip install --no-index --find-links=/wheels "ome-zarr-validator[s3,gcs]" \
    && rm -rf /wheels \
    && groupadd --system --gid 10001 validator \
    && useradd --system --uid 10001 --gid validator --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin validator \
    && mkdir -p /data && chown validator:validator /data
USER validator:validator
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]
# One worker: jobs run in the process that accepted them (see the README). The app stops
# gracefully on SIGTERM: running jobs are recorded as interrupted.
# python -m api.serve: uvicorn with a header timeout, a keep-alive timeout, a cap on open
# connections (OME_ZARR_VALIDATOR_MAX_CONNECTIONS, below the descriptor limit) and
# X-Forwarded-For trusted from nobody (behind a proxy: OME_ZARR_VALIDATOR_FORWARDED_ALLOW_IPS).
CMD ["python", "-m", "api.serve", "--host", "0.0.0.0", "--port", "8000"]
