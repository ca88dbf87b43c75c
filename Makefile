# paycert — the two commands of the README.
#   make demo   builds certify and tests the embedded reference cloud card
#   make test   runs every test (unit, suites, CLI end to end, real pcscd,
#               real SoftHSM2 tokens)
# Both install the Debian packages they need when missing.

GO ?= go
export PATH := $(PATH):/usr/local/go/bin:/usr/sbin

.PHONY: demo test race-e2e setup build lint bench fuzz

setup:
	@bash scripts/setup-debian

build: setup
	$(GO) build -buildvcs=auto -o bin/certify ./cmd/certify

demo: build
	./bin/certify run

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Every package's tests under the race detector, and cmd/certify's end-to-end
# tests (which run the certify binary as hundreds of processes: the fault
# matrix, testscripts, real pcscd) without it, so that CI stays within its
# time; `make race-e2e` runs those under -race too.
test: setup lint
	bash scripts/with-pcscd sh -c '$(GO) test -race -count=1 $$($(GO) list ./... | grep -v /cmd/certify$$) && $(GO) test -count=1 ./cmd/certify'

race-e2e: setup
	bash scripts/with-pcscd $(GO) test -race -timeout=40m -count=1 ./cmd/certify

bench: setup
	bash scripts/with-pcscd $(GO) test -run='^$$' -bench=. -benchmem ./...

# Short fuzzing of every parser; found inputs land in testdata/fuzz.
fuzz:
	bash scripts/fuzz-all $(or $(FUZZTIME),5m) $(or $(FUZZJOBS),2)
