#!/usr/bin/env bash
# Build the runtime image (`make docker`). Prints the image name on its last line.
#   IMAGE       tag to build (default purchase-predictor:latest)
#   BASE_IMAGE  base image (default: the Dockerfile's python:3.12-slim, or, on a machine that has the
#               workplace tool ../shared/tools/docker-local-base.sh, the local base image it builds; that
#               tool also starts a Docker engine when none is running).
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE="${IMAGE:-purchase-predictor:latest}"
LABEL="org.opencontainers.image.title=purchase-predictor"   # set in both stages of the Dockerfile
LOCAL_BASE_TOOL="${LOCAL_BASE_TOOL:-../shared/tools/docker-local-base.sh}"
build_args=()

if [ -z "${BASE_IMAGE:-}" ] && [ -f "$LOCAL_BASE_TOOL" ]; then
  echo "[docker] no BASE_IMAGE given; using the local base image from $LOCAL_BASE_TOOL" >&2
  BASE_IMAGE="$(bash "$LOCAL_BASE_TOOL" | tail -n 1)"
  build_args+=(--network host)   # that engine runs without a bridge network
  # That base is imported from a mktemp folder, so its / is mode 0700 and the image's non-root user
  # could not start anything. A layer cannot change the mode of /, so re-import a normalised copy once.
  if [ "$(docker run --rm --network host "$BASE_IMAGE" stat -c %a /)" != 755 ]; then
    fixed="$BASE_IMAGE-rootfix"
    if ! docker image inspect "$fixed" >/dev/null 2>&1; then
      echo "[docker] normalising the mode of / in $BASE_IMAGE as $fixed" >&2
      cid="$(docker create "$BASE_IMAGE" /bin/true)"
      docker export "$cid" | docker import - "$fixed" >/dev/null
      docker rm "$cid" >/dev/null
    fi
    BASE_IMAGE="$fixed"
  fi
fi
[ -n "${BASE_IMAGE:-}" ] && build_args+=(--build-arg "BASE_IMAGE=$BASE_IMAGE")

if ! docker info >/dev/null 2>&1; then
  echo "[docker] no Docker engine answers; start one (or set LOCAL_BASE_TOOL)" >&2
  exit 1
fi
[ -f models/purchase_model.onnx ] || { echo "[docker] models/purchase_model.onnx is missing: run make export" >&2; exit 1; }

docker build "${build_args[@]}" -t "$IMAGE" . >&2
# Each build leaves untagged images behind: the builder stage and the previous image of this tag. Under the
# vfs storage driver (docker-local-base.sh's engine) every layer is a full copy of the file system, so old
# builds' layers (64 GB of them) once filled the disk and failed a CI run. Remove ours (by label); other projects' images are left alone.
docker image prune -f --filter "label=$LABEL" >&2
echo "$IMAGE"
