# syntax=docker/dockerfile:1
# ecbench as a small image: a static binary built by the Go toolchain, run as
# a non-root user. deploy/compose/compose.yaml builds it from the repo root:
#
#   docker build -t ecbench:local .
#   docker run --rm -v "$PWD/deploy/compose/ecbench.yaml:/etc/ecbench/ecbench.yaml:ro" -p 9478:9478 ecbench:local
#
# deploy/e2e_test.go builds its ecbench with the same flags as this file and
# checks that the result is statically linked.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# VERSION, when given (--build-arg VERSION=v1.2.3), is what `ecbench version`
# and ecbench_build_info report; else the module's build information.
ARG VERSION=""
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/ecbench ./cmd/ecbench

# Alpine rather than scratch or distroless: its busybox wget serves the
# Compose healthcheck (GET /healthz).
FROM alpine:3.21
RUN adduser -D -H -u 10001 ecbench
COPY --from=build /out/ecbench /usr/local/bin/ecbench
USER 10001:10001
EXPOSE 9478
ENTRYPOINT ["/usr/local/bin/ecbench"]
CMD ["run", "--config", "/etc/ecbench/ecbench.yaml"]
