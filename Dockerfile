# Runtime-only image: the service, the ONNX model and the pinned runtime dependencies. No scikit-learn,
# pandas or xgboost. BASE_IMAGE must provide python3 with venv and pip (make docker picks a local one
# on machines without a registry; see docker/build.sh).
ARG BASE_IMAGE=python:3.12-slim

# deps: the pinned runtime dependencies (+ the optional PostgreSQL store), then the package's own wheel,
# built here and installed without dependencies: the image runs the installed package, not a source tree.
FROM ${BASE_IMAGE} AS deps
# Both stages carry the label, so docker/build.sh can remove what older builds left without touching other images.
LABEL org.opencontainers.image.title="purchase-predictor"
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
COPY requirements/runtime.txt requirements/postgres.txt /tmp/requirements/
RUN python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install -q -r /tmp/requirements/runtime.txt -r /tmp/requirements/postgres.txt
COPY pyproject.toml README.md /src/
COPY purchase_predictor/ /src/purchase_predictor/
COPY runtime/ /src/runtime/
COPY service/ /src/service/
COPY monitoring/ /src/monitoring/
COPY scoring/ /src/scoring/
COPY training/ /src/training/
COPY export/ /src/export/
RUN /opt/venv/bin/pip wheel -q --no-deps --wheel-dir /tmp/dist /src \
 && /opt/venv/bin/pip install -q --no-deps /tmp/dist/purchase_predictor-*.whl \
 && find /opt/venv -name '__pycache__' -prune -exec rm -rf {} + \
 && rm -rf /opt/venv/lib/python3*/site-packages/pip /opt/venv/bin/pip*

FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.title="purchase-predictor"
# nginx (Debian), for PREDICT_FRONT=nginx and the Kubernetes sidecar, which runs this same image; the default
# front, gunicorn's buffering worker class, needs none (docs/operations/slow-clients.md). nginx runs as the
# non-root user, its files under a private folder in /tmp.
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
 && /usr/sbin/nginx -v
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORT=8000 \
    PREDICT_MODEL_PATH=/app/models/purchase_model.onnx
RUN (getent group app || groupadd --system app 2>/dev/null || addgroup --system app) >/dev/null \
 && (useradd --system --gid app --no-create-home --shell /usr/sbin/nologin app 2>/dev/null \
     || adduser --system --ingroup app --no-create-home app) >/dev/null
WORKDIR /app
COPY --from=deps /opt/venv /opt/venv
RUN mkdir -p /app/state && chown app:app /app/state  # drift monitoring's SQLite store (mount a volume to keep it)
COPY models/purchase_model.onnx /app/models/purchase_model.onnx
USER app
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '8000'), timeout=2)"]
STOPSIGNAL SIGTERM
# gunicorn with the buffering worker class on $PORT (PREDICT_HOST, default 0.0.0.0); PREDICT_FRONT=nginx puts
# nginx there before gunicorn on a private Unix socket, PREDICT_FRONT=none runs plain gthread gunicorn (behind a
# buffering proxy of your own). SIGTERM stops it gracefully.
CMD ["purchase-predictor", "serve"]
