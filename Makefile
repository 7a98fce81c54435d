# Shortcuts for the scripts the README names; the scripts need only bash and Go.
.PHONY: run test bench build soak perf
run:
	./scripts/run-local.sh
test:
	./scripts/test.sh
bench:
	go test -run '^$$' -bench . -benchmem ./loadgen/... ./metrics/...
build:
	go build -o bin/ecbench ./cmd/ecbench
soak:
	DURATION=$(DURATION) ./scripts/soak.sh
perf:
	./scripts/perf.sh
