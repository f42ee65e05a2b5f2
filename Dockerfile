# syntax=docker/dockerfile:1
#
# The gateway (`openclaw`) and the operator (`openclaw-operator`) as static musl
# binaries in a small Alpine image.
#
# Alpine rather than `scratch`: `fly ssh console` (the deployment guide's tool
# for looking at /data) and the operator's stale-lock check, which runs a POSIX
# `sh` script inside the machine through `exec`, both need a shell.
#
#   docker build -t registry.fly.io/openclaw-rs:latest .
#   fly deploy            # with fly.toml or fly.private.toml from this directory

FROM rust:1.95-alpine AS build
RUN apk add --no-cache build-base
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p openclaw-gateway -p openclaw-operator \
      --bin openclaw --bin openclaw-operator \
 && install -Dm755 target/release/openclaw /out/openclaw \
 && install -Dm755 target/release/openclaw-operator /out/openclaw-operator

FROM alpine:3.22
RUN apk add --no-cache ca-certificates
COPY --from=build /out/ /usr/local/bin/
# State lives on the volume; without this a restart loses sessions and devices.
ENV OPENCLAW_STATE_DIR=/data
EXPOSE 3000
# No ENTRYPOINT: Fly's `[processes]` and the operator's machine config give the
# whole command, exactly as the deployment guide's `node dist/index.js gateway …`.
CMD ["openclaw", "gateway", "--allow-unconfigured", "--bind", "lan", "--port", "3000"]
