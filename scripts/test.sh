#!/usr/bin/env bash
# The README's test command: installs the real servers the tests need if they
# are missing, then runs every test with the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
go vet ./...
go test -race -count=1 -timeout 15m ./...
# The verdict's statistical contracts (coverage, false positives, power) in
# full: the race detector makes -race runs use reduced trials.
go test -count=1 -timeout 5m ./verdict/
